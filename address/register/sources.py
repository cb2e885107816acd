"""Reading address source files: CSV, GeoJSON, GeoPackage, Shapefile (through pyogrio).

A file becomes :class:`SourceRow` objects with the file's own coordinates (``x``, ``y``) and its
line number (CSV: the physical line, header = 1; other formats: the feature's position + 1).
Coordinates are converted to WGS84 by the caller, which knows the coordsys.
"""

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from address.errors import BadRequest

TEXT_COLUMNS = ("text", "address", "地址", "full_address", "complete_address", "addr", "name")
LNG_COLUMNS = ("lng", "lon", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}


@dataclass
class SourceRow:
    line: int
    text: str
    x: float | None
    y: float | None
    raw: dict[str, Any] = field(default_factory=dict)


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


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], role: str) -> str:
    if wanted:
        if wanted not in columns:
            names = ", ".join(columns)
            raise BadRequest(f"column {wanted!r} for {role} is not in the file ({names})")
        return wanted
    lowered = {c.lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise BadRequest(f"no {role} column found; name it with --columns {role}=…")


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def read_csv(path: Path, columns: dict[str, str]) -> Iterator[SourceRow]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        names = list(reader.fieldnames or [])
        text_col = _pick(names, columns.get("text"), TEXT_COLUMNS, "text")
        has_xy = columns.get("lng") or any(c.lower() in LNG_COLUMNS for c in names)
        lng_col = _pick(names, columns.get("lng"), LNG_COLUMNS, "lng") if has_xy else None
        lat_col = _pick(names, columns.get("lat"), LAT_COLUMNS, "lat") if has_xy else None
        for row in reader:
            line = reader.line_num
            try:
                x = _number(row.get(lng_col)) if lng_col else None
                y = _number(row.get(lat_col)) if lat_col else None
            except ValueError as exc:
                yield SourceRow(line, row.get(text_col) or "", math.nan, math.nan,
                                {**row, "_error": str(exc)})
                continue
            yield SourceRow(line, row.get(text_col) or "", x, y, dict(row))


def read_vector(path: Path, columns: dict[str, str]) -> Iterator[SourceRow]:
    import pyogrio

    frame = pyogrio.read_dataframe(path)
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, 4490):
        frame = frame.to_crs(4326)  # projected files; GCJ-02/BD-09 are declared by the caller
    names = [c for c in frame.columns if c != "geometry"]
    text_col = _pick(names, columns.get("text"), TEXT_COLUMNS, "text")
    for position, record in enumerate(frame.itertuples(index=False)):
        data = record._asdict()
        geom = data.pop("geometry", None)
        x = y = None
        if geom is not None and not geom.is_empty:
            point = geom if geom.geom_type == "Point" else geom.representative_point()
            x, y = float(point.x), float(point.y)
        raw = {k: (None if v != v else v) for k, v in data.items()}  # NaN → None
        yield SourceRow(position + 1, str(data.get(text_col) or ""), x, y, raw)


def read_source(path: Path, columns: dict[str, str] | None = None) -> Iterator[SourceRow]:
    if not path.exists():
        raise BadRequest(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return read_csv(path, columns or {})
    if suffix in VECTOR_SUFFIXES:
        return read_vector(path, columns or {})
    raise BadRequest(f"unsupported file type {suffix!r}: use CSV, GeoJSON, GeoPackage or Shapefile")
