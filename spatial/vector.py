"""Reading a vector file into WGS84 features: the one reader behind layer uploads, building
footprints and address sources.

GeoJSON, GeoPackage, Shapefile (also zipped), OpenStreetMap (.osm/.pbf) through pyogrio, and CSV
with point columns (lng/lat, 经度/纬度 …). The CRS comes from ``crs=``, else the file, else WGS84
when the coordinates look like degrees; a declared ``coordsys`` (gcj02/bd09, as Chinese web maps
deliver) is undone exactly with :mod:`spatial.coords`. Each row keeps its line (the CSV's physical
line, header = 1; otherwise the feature's position + 1) for the import report; CSV coordinates that
cannot be used leave the row without a point and say why in ``bad_points``.

geopandas, pandas and pyogrio are imported where a file is read, not with the module: the API
imports this module for its limits, and they are a second of its start-up.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from address.errors import BadRequest, TooLarge
from address.register.sources import LAT_NAMES, LNG_NAMES, pick_column
from address.text.encoding import decode_text
from spatial.coords import CoordSys, parse_coordsys, to_wgs84

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage", ".shp": "Shapefile",
           ".zip": "Shapefile (zipped)", ".csv": "CSV", ".txt": "CSV", ".osm": "OpenStreetMap",
           ".pbf": "OpenStreetMap"}


@dataclass(frozen=True)
class VectorLimits:
    """What one file may hold; past a limit the read stops with 413 (TooLarge). The API sets
    these from its settings (``DIZHI_LIMITS__*``)."""

    max_features: int = 1_000_000
    max_vertices: int = 100_000  # in one feature (GEOS work grows faster than linearly)
    max_inflated_bytes: int = 1024 * 2**20  # a zip's members, unpacked
    max_ratio: float = 100.0  # unpacked / packed size of a zip


@dataclass
class VectorFile:
    frame: gpd.GeoDataFrame  # EPSG:4326
    format: str
    source_crs: str
    coordsys: str
    lines: list[int]  # per row
    bad_points: dict[int, str] = field(default_factory=dict)  # row position → reason
    encoding: str | None = None  # a CSV's, as given or detected (see address.text.encoding)


def read_vector(
    path: Path, *, filename: str | None = None, layer: str | None = None,
    encoding: str | None = None, crs: str | None = None, coordsys: str = "wgs84",
    lng_field: str | None = None, lat_field: str | None = None,
    points: Literal["required", "optional"] = "required", infer_types: bool = True,
    require_crs: bool = False, limits: VectorLimits | None = None,
) -> VectorFile:
    """The file's rows in EPSG:4326. CSV: ``points="optional"`` reads a file without point
    columns; ``infer_types=False`` keeps every value as the text it was. ``require_crs``: a
    file without a CRS is refused rather than taken as WGS84."""
    if not path.exists():
        raise BadRequest(f"no such file: {filename or path.name}")
    suffix = Path(filename or path.name).suffix.lower()
    if suffix not in FORMATS:
        raise BadRequest(f"unsupported file type {suffix or '(none)'!r}: use .geojson, .gpkg, "
                         ".shp, a zipped Shapefile (.zip), .osm/.pbf or .csv")
    system = parse_coordsys(coordsys)
    limits = limits or VectorLimits()
    bad: dict[int, str] = {}
    if FORMATS[suffix] == "CSV":
        decoded = decode_text(path.read_bytes(), what=filename or path.name, encoding=encoding)
        encoding = decoded.encoding
        frame, lines, bad = _read_csv(decoded.text, (lng_field, lat_field), points, infer_types)
    else:
        frame = _read_ogr(path, suffix, layer, encoding, limits)
        lines = list(range(1, len(frame) + 1))
    _check_size(frame, limits)
    if require_crs and frame.crs is None and not crs:
        raise BadRequest(f"{filename or path.name} has no coordinate reference system")
    source_crs = _resolve_crs(frame, crs)
    if source_crs.is_geographic:
        frame = _check_degrees(frame, bad if FORMATS[suffix] == "CSV" and not crs else None,
                               declared=crs)
    frame = _to_wgs84(frame, source_crs, system)
    _check_finite(frame, crs)
    return VectorFile(frame, FORMATS[suffix], source_crs.to_string(), system, lines, bad,
                      encoding if FORMATS[suffix] == "CSV" else None)


def _read_ogr(path: Path, suffix: str, layer: str | None,
              encoding: str | None, limits: VectorLimits) -> gpd.GeoDataFrame:
    if suffix == ".zip":
        return _read_zipped_shapefile(path, layer, encoding, limits)
    import pyogrio  # imports geopandas

    try:
        frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=False, encoding=encoding)
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise BadRequest(f"cannot read the file: {gdal_message(exc)}") from None
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name is None:
        raise BadRequest("the file has no geometry column")
    return frame


def gdal_message(exc: Exception) -> str:
    """GDAL's message, first sentence, with no server path in it (it names our temp file)."""
    first = str(exc).splitlines()[0].split("; It might help")[0] if str(exc) else ""
    return re.sub(r"'?(?:/[^\s'/]+)+/?'?", "the file", first)[:200]


def _read_zipped_shapefile(path: Path, layer: str | None,
                           encoding: str | None, limits: VectorLimits) -> gpd.GeoDataFrame:
    if not zipfile.is_zipfile(path):
        raise BadRequest(f"{path.suffix} file is not a zip archive")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as archive:
        _check_inflation(archive, path.stat().st_size, limits)
        names = [n for n in archive.namelist() if n.lower().endswith(".shp")]
        if len(names) != 1:
            raise BadRequest(f"the zip must hold exactly one .shp file; it holds {len(names)}")
        for member in archive.namelist():
            if ".." in Path(member).parts or member.startswith("/"):
                raise BadRequest(f"unsafe path in the zip: {member!r}")
        try:
            archive.extractall(tmp)
        except (zipfile.BadZipFile, NotImplementedError, EOFError, ValueError) as exc:
            raise BadRequest(f"the zip cannot be unpacked ({type(exc).__name__})") from None
        return _read_ogr(Path(tmp) / names[0], ".shp", layer, encoding, limits)


def _check_inflation(archive: zipfile.ZipFile, packed: int, limits: VectorLimits) -> None:
    """A zip bomb is refused before anything is unpacked (sizes as the archive declares them;
    extraction stops at the declared size)."""
    inflated = sum(member.file_size for member in archive.infolist())
    if inflated > limits.max_inflated_bytes:
        raise TooLarge(f"the zip unpacks to {inflated / 2**20:.0f} MB; at most "
                       f"{limits.max_inflated_bytes / 2**20:.0f} MB")
    if inflated > 2**20 and inflated / max(packed, 1) > limits.max_ratio:
        raise TooLarge(f"the zip unpacks to {inflated / max(packed, 1):.0f} times its size; at "
                       f"most {limits.max_ratio:g}")


def _check_size(frame: gpd.GeoDataFrame, limits: VectorLimits) -> None:
    if len(frame) > limits.max_features:
        raise TooLarge(f"the file has {len(frame):,} features; at most {limits.max_features:,}")
    geoms = frame.geometry.array
    counts = shapely.get_num_coordinates(geoms) if len(frame) else np.zeros(0)
    if len(counts) and counts.max() > limits.max_vertices:
        worst = int(np.argmax(counts))
        raise TooLarge(f"feature {worst + 1} has {int(counts[worst]):,} vertices; at most "
                       f"{limits.max_vertices:,} in one feature")


def _check_finite(frame: gpd.GeoDataFrame, declared: str | None) -> None:
    """Coordinates that the CRS could not place on the earth (metres read as degrees …)."""
    geoms = frame.geometry.array
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bounds = shapely.bounds(geoms[present])
    if len(bounds) and not (np.isfinite(bounds).all() and (bounds[:, [0, 2]] >= -180).all()
                            and (bounds[:, [0, 2]] <= 180).all()
                            and (np.abs(bounds[:, [1, 3]]) <= 90).all()):
        what = f"the declared crs {declared!r}" if declared else "the file's CRS"
        raise BadRequest(f"the coordinates do not fit {what}: they fall outside the earth once "
                         "transformed; check crs=")


def _read_csv(text: str, fields: tuple[str | None, str | None],
              points: str, infer_types: bool
              ) -> tuple[gpd.GeoDataFrame, list[int], dict[int, str]]:
    import geopandas as gpd
    import pandas as pd

    try:
        table = (pd.read_csv(io.StringIO(text)) if infer_types else
                 pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False))
    except pd.errors.EmptyDataError:
        raise BadRequest("the CSV is empty: it needs a header line and rows") from None
    except pd.errors.ParserError as exc:
        raise BadRequest(f"cannot read the CSV: {exc}") from None
    lines = _record_lines(text)
    if len(lines) != len(table):  # a layout the two parsers read differently: count rows
        lines = list(range(2, len(table) + 2))
    columns = [str(c) for c in table.columns]
    has_points = points == "required" or any(fields) or any(
        c.strip().lower() in LNG_NAMES for c in columns)
    if not has_points:
        return gpd.GeoDataFrame(table, geometry=[None] * len(table)), lines, {}
    lng_col = pick_column(columns, fields[0], LNG_NAMES, "longitude")
    lat_col = pick_column(columns, fields[1], LAT_NAMES, "latitude")
    geometry, bad = _points(table[lng_col], table[lat_col])
    kept = table.drop(columns=[lng_col, lat_col]) if points == "required" else table
    return gpd.GeoDataFrame(kept, geometry=geometry), lines, bad


def _record_lines(text: str) -> list[int]:
    """The physical line each CSV record ends on (header = 1), blank lines skipped as pandas
    skips them."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    return [reader.line_num for row in reader if any(cell.strip() for cell in row)]


def _points(lng: pd.Series, lat: pd.Series) -> tuple[np.ndarray, dict[int, str]]:
    """Points from two columns; a row with an unusable value has none, and a reason."""
    import pandas as pd

    x = pd.to_numeric(lng, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
    blank_x, blank_y = _blank(lng), _blank(lat)
    bad: dict[int, str] = {}
    for row in np.flatnonzero((~np.isfinite(x) & ~blank_x) | (~np.isfinite(y) & ~blank_y)):
        bad[int(row)] = f"not a finite number: {lng.iloc[row]!r}, {lat.iloc[row]!r}"
    for row in np.flatnonzero(blank_x != blank_y):
        bad.setdefault(int(row), "only one of lng/lat is given")
    geometry = shapely.points(x, y)
    geometry[~(np.isfinite(x) & np.isfinite(y))] = None
    geometry[list(bad)] = None
    return geometry, bad


def _blank(values: pd.Series) -> np.ndarray:
    text = values.astype(str).str.strip()
    return (values.isna() | (text == "") | (text.str.lower() == "nan")).to_numpy()


def _resolve_crs(frame: gpd.GeoDataFrame, declared: str | None) -> CRS:
    """The declared CRS, else the file's, else WGS84."""
    if declared:
        try:
            return CRS.from_user_input(declared)
        except CRSError:
            raise BadRequest(f"unknown CRS {declared!r}") from None
    return CRS.from_user_input(frame.crs) if frame.crs is not None else CRS.from_epsg(4326)


def _check_degrees(frame: gpd.GeoDataFrame, bad_points: dict[int, str] | None,
                   declared: str | None = None) -> gpd.GeoDataFrame:
    """Coordinates taken as degrees must look like degrees. With ``bad_points`` (CSV), a few
    points outside the range lose their point and are reported there; all of them outside
    means a projected file that needs ``crs=``."""
    geoms = frame.geometry.array
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    bounds = shapely.bounds(geoms)
    outside = present & ~((bounds[:, 0] >= -180) & (bounds[:, 2] <= 180)
                          & (bounds[:, 1] >= -90) & (bounds[:, 3] <= 90))
    if not outside.any():
        return frame
    if declared:
        raise BadRequest(f"the declared crs {declared!r} is in degrees but the coordinates are "
                         "not (metres?): send the file's real crs, for example EPSG:4549")
    if bad_points is None or outside.sum() == present.sum():
        raise BadRequest("the file declares no usable CRS and its coordinates are not degrees:"
                         " send crs= (for example EPSG:4549)")
    import geopandas as gpd

    kept = np.asarray(geoms, dtype=object).copy()
    for i in np.flatnonzero(outside):
        bad_points[int(i)] = f"coordinates out of range: {bounds[i, 0]:g},{bounds[i, 1]:g}"
        kept[i] = None
    return frame.set_geometry(gpd.GeoSeries(kept, index=frame.index, crs=frame.crs))


def _to_wgs84(frame: gpd.GeoDataFrame, source: CRS, system: CoordSys) -> gpd.GeoDataFrame:
    # CGCS2000 (4490) is treated as WGS84, as everywhere in dizhi.
    wgs84 = CRS.from_epsg(4326)
    if source.to_epsg() in (4326, 4490) or source.equals(wgs84, ignore_axis_order=True):
        frame = frame.set_crs(4326, allow_override=True)
    else:
        frame = frame.set_crs(source, allow_override=True).to_crs(4326)
    if system != "wgs84":
        frame = frame.set_geometry(
            shapely.transform(frame.geometry.array, lambda xy: _undo_offset(xy, system)))
    return frame.set_crs(4326, allow_override=True)


def _undo_offset(xy: np.ndarray, system: CoordSys) -> np.ndarray:
    lng, lat = to_wgs84(xy[:, 0], xy[:, 1], system)
    return np.column_stack([lng, lat])
