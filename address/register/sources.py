"""Address source rows: what the importer takes, made from a file read by the one vector reader
(``spatial.vector.read_vector``: CSV, GeoJSON, GeoPackage, Shapefile; points in WGS84).

Each :class:`SourceRow` keeps its line (CSV: the physical line, header = 1; other formats: the
feature's position + 1), its text, its point and every value as read.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from address.errors import BadRequest

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
