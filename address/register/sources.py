"""Address source rows: what the importer takes, made from a file read by the one vector reader
(``spatial.vector.read_vector``: CSV, GeoJSON, GeoPackage, Shapefile; points in WGS84).

Each :class:`SourceRow` keeps its line (CSV: the physical line, header = 1; other formats: the
feature's position + 1), its text, its point and every value as read.
"""

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from address.errors import BadRequest

LNG_NAMES = ("lng", "lon", "long", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
TEXT_COLUMNS = ("text", "address", "地址", "full_address", "complete_address", "addr", "name")


@dataclass
class SourceRow:
    line: int
    text: str
    x: float | None
    y: float | None
    raw: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why the row's coordinates could not be used


def parse_columns(spec: str | None) -> dict[str, str]:
    """``text=地址,lng=经度,lat=纬度`` → {"text": "地址", …}."""
    if not spec:
        return {}
    mapping = {}
    for part in spec.split(","):
        role, sep, column = part.partition("=")
        if not sep or role.strip() not in ("text", "lng", "lat"):
            raise BadRequest(f"--columns takes text=…,lng=…,lat=…; got {part!r}")
        mapping[role.strip()] = column.strip()
    return mapping


def pick_column(columns: list[str], wanted: str | None, candidates: tuple[str, ...],
                role: str) -> str:
    """The column named ``wanted``, else the first of ``candidates`` (any case) the file has."""
    if wanted:
        if wanted not in columns:
            raise BadRequest(f"column {wanted!r} for {role} is not in the file "
                             f"({', '.join(columns)})")
        return wanted
    lowered = {c.strip().lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise BadRequest(f"no {role} column found (one of {', '.join(candidates)}); name it")


def source_rows(frame: Any, *, lines: list[int], bad_points: dict[int, str] | None = None,
                columns: dict[str, str] | None = None) -> Iterator[SourceRow]:
    """The rows of a read file (a GeoDataFrame in WGS84, from ``spatial.vector.read_vector``):
    the text column's value, a point (a polygon's representative point), every value as read.
    A row whose coordinates could not be used carries the reason (``bad_points``)."""
    geometry = frame.geometry.name
    names = [str(c) for c in frame.columns if c != geometry]
    text_col = pick_column(names, (columns or {}).get("text"), TEXT_COLUMNS, "text")
    bad = bad_points or {}
    records = frame.drop(columns=geometry).to_dict("records")
    for position, (record, geom) in enumerate(zip(records, frame.geometry, strict=True)):
        x, y = _lnglat(geom)
        raw = {str(k): (None if v != v else v) for k, v in record.items()}  # NaN → None
        yield SourceRow(lines[position], str(raw.get(text_col) or ""), x, y, raw,
                        error=bad.get(position))


def _lnglat(geom: Any) -> tuple[float | None, float | None]:
    if geom is None or geom.is_empty:
        return None, None
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return float(point.x), float(point.y)


def _number(value: str) -> float | None:
    """A coordinate cell: None when blank; ValueError when not a finite number."""
    value = value.strip()
    if not value:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _csv_point(record: dict[str, str], lng: str | None,
               lat: str | None) -> tuple[float | None, float | None, str | None]:
    if lng is None or lat is None:
        return None, None, None
    try:
        x, y = _number(record.get(lng) or ""), _number(record.get(lat) or "")
    except ValueError:
        return None, None, f"not a finite number: {record.get(lng)!r}, {record.get(lat)!r}"
    if (x is None) != (y is None):
        return None, None, "only one of lng/lat is given"
    if x is not None and y is not None and not (-180 <= x <= 180 and -90 <= y <= 90):
        return None, None, f"coordinates out of range: {x},{y}"
    return x, y, None


def csv_rows(text: str, *, columns: dict[str, str] | None = None) -> list[SourceRow]:
    """The rows of a CSV address source, read with the standard library (a million rows in
    seconds, without pandas): text, point as written (lng/lat columns if any), every value;
    each row's line is the physical line its record ends on (header = 1), as the vector
    reader's; blank lines are skipped."""
    columns = columns or {}
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header:
        raise BadRequest("the CSV is empty: it needs a header line and rows")
    text_col = header.index(pick_column(header, columns.get("text"), TEXT_COLUMNS, "text"))
    with_points = bool(columns.get("lng")) or any(h.lower() in LNG_NAMES for h in header)
    lng = pick_column(header, columns.get("lng"), LNG_NAMES, "longitude") if with_points else None
    lat = pick_column(header, columns.get("lat"), LAT_NAMES, "latitude") if with_points else None
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        record = dict(zip(header, values, strict=False))
        x, y, error = _csv_point(record, lng, lat)
        text_value = values[text_col] if text_col < len(values) else ""
        rows.append(SourceRow(reader.line_num, text_value, x, y, dict(record), error))
    return rows
