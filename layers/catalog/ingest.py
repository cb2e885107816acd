"""Reading an upload into WGS84 features: format, CRS detection, GCJ-02/BD-09, repair.

GeoJSON, GeoPackage, zipped Shapefile and CSV with lng/lat columns. A declared ``coordsys``
(gcj02/bd09, as Chinese web maps deliver) is undone exactly with :mod:`spatial.coords`; other CRSs
come from the file (or ``crs=``) and are reprojected with pyproj. Invalid geometries are repaired
with ``make_valid``; what cannot be repaired is reported by feature index and left out.
"""

import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from address.errors import BadRequest
from spatial.coords import CoordSys, parse_coordsys, to_wgs84

FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GeoPackage",
           ".zip": "Shapefile (zipped)", ".csv": "CSV"}
LNG_NAMES = ("lng", "lon", "long", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
MAX_REPORTED = 200


@dataclass
class IngestReport:
    format: str
    source_crs: str
    coordsys: str
    read: int = 0
    stored: int = 0
    repaired: list[int] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "source_crs": self.source_crs, "coordsys": self.coordsys,
                "read": self.read, "stored": self.stored,
                "repaired": len(self.repaired), "repaired_indexes": self.repaired[:MAX_REPORTED],
                "rejected": len(self.rejected), "rejected_features": self.rejected[:MAX_REPORTED]}


def read_features(
    path: Path, *, filename: str | None = None, coordsys: str = "wgs84", crs: str | None = None,
    lng_field: str | None = None, lat_field: str | None = None, encoding: str | None = None,
) -> tuple[gpd.GeoDataFrame, IngestReport]:
    """The file's features in EPSG:4326, repaired, with a report of what was done.

    ``encoding`` is for attribute text that is not UTF-8 (a GBK Shapefile without a .cpg)."""
    suffix = Path(filename or path.name).suffix.lower()
    if suffix not in FORMATS:
        raise BadRequest(f"unsupported file type {suffix or '(none)'!r}: use "
                         ".geojson, .gpkg, a zipped Shapefile (.zip) or .csv")
    system = parse_coordsys(coordsys)
    frame = (_read_csv(path, lng_field, lat_field, encoding) if suffix == ".csv"
             else _read_vector(path, suffix, encoding))
    source_crs = _resolve_crs(frame, crs)
    report = IngestReport(FORMATS[suffix], source_crs.to_string(), system,
                          read=len(frame))
    frame = _to_wgs84(frame, source_crs, system)
    frame = _repair(frame, report)
    report.stored = len(frame)
    return frame, report


def _read_vector(path: Path, suffix: str, encoding: str | None = None) -> gpd.GeoDataFrame:
    if suffix == ".zip":
        return _read_zipped_shapefile(path, encoding)
    try:
        frame = pyogrio.read_dataframe(path, use_arrow=False, encoding=encoding)
    except Exception as exc:  # pyogrio raises several DataSourceError flavours
        raise BadRequest(f"cannot read the file: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name is None:
        raise BadRequest("the file has no geometry column")
    return frame


def _read_zipped_shapefile(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".shp")]
        if len(names) != 1:
            raise BadRequest(f"the zip must hold exactly one .shp file; it holds {len(names)}")
        for member in archive.namelist():
            if ".." in Path(member).parts or member.startswith("/"):
                raise BadRequest(f"unsafe path in the zip: {member!r}")
        archive.extractall(tmp)
        return _read_vector(Path(tmp) / names[0], ".shp", encoding)


def _pick(columns: list[str], wanted: str | None, names: tuple[str, ...], what: str) -> str:
    if wanted:
        if wanted not in columns:
            raise BadRequest(f"the CSV has no column {wanted!r}")
        return wanted
    for column in columns:
        if column.strip().lower() in names:
            return column
    raise BadRequest(f"the CSV needs a {what} column (one of {', '.join(names)})")


def _read_csv(path: Path, lng_field: str | None, lat_field: str | None,
              encoding: str | None) -> gpd.GeoDataFrame:
    try:
        table = pd.read_csv(path, encoding=encoding or "utf-8-sig")
    except (UnicodeDecodeError, LookupError, pd.errors.ParserError) as exc:
        raise BadRequest(f"cannot read the CSV: {exc}") from None
    columns = [str(c) for c in table.columns]
    lng_col = _pick(columns, lng_field, LNG_NAMES, "longitude")
    lat_col = _pick(columns, lat_field, LAT_NAMES, "latitude")
    lng = pd.to_numeric(table[lng_col], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(table[lat_col], errors="coerce").to_numpy(dtype=float)
    points = shapely.points(lng, lat)
    points[np.isnan(lng) | np.isnan(lat)] = None
    return gpd.GeoDataFrame(table.drop(columns=[lng_col, lat_col]), geometry=points)


def _resolve_crs(frame: gpd.GeoDataFrame, declared: str | None) -> CRS:
    """The declared CRS, else the file's, else WGS84; degrees must look like degrees."""
    if declared:
        try:
            return CRS.from_user_input(declared)
        except CRSError:
            raise BadRequest(f"unknown CRS {declared!r}") from None
    found = CRS.from_user_input(frame.crs) if frame.crs is not None else CRS.from_epsg(4326)
    bounds = frame.geometry.total_bounds
    in_degrees = len(frame) == 0 or np.isnan(bounds).all() or (
        -180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90)
    if found.is_geographic and not in_degrees:
        raise BadRequest("the file declares no usable CRS and its coordinates are not degrees:"
                         " send crs= (for example EPSG:4549)")
    return found


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


def _repair(frame: gpd.GeoDataFrame, report: IngestReport) -> gpd.GeoDataFrame:
    """Repair invalid geometries; reject missing, empty or unrepairable ones by index."""
    geoms = frame.geometry.array
    keep = np.ones(len(frame), dtype=bool)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    for index in np.flatnonzero(missing):
        keep[index] = False
        report.rejected.append({"index": int(index), "reason": "missing or empty geometry"})
    repaired = geoms.copy()
    for index in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[index])
        fixed = _same_dimension(shapely.make_valid(geoms[index]), geoms[index])
        if fixed is None or fixed.is_empty or not fixed.is_valid:
            keep[index] = False
            report.rejected.append({"index": int(index), "reason": f"invalid: {reason}"})
        else:
            repaired[index] = fixed
            report.repaired.append(int(index))
    frame = frame.set_geometry(repaired)
    return frame[keep]


def _same_dimension(fixed: Any, original: Any) -> Any:
    """make_valid may return a collection; keep the parts of the original's dimension."""
    if fixed.geom_type != "GeometryCollection":
        return fixed
    dim = shapely.get_dimensions(original)
    parts = [g for g in shapely.get_parts(fixed) if shapely.get_dimensions(g) == dim]
    if not parts:
        return None
    return shapely.union_all(parts) if dim == 2 else shapely.GeometryCollection(parts)
