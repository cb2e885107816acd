"""Reading an upload into WGS84 features (:func:`spatial.vector.read_vector`: format, CRS,
GCJ-02/BD-09) and repairing them: invalid geometries are repaired with ``make_valid``; what cannot
be repaired is reported by line in the import report and left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from address.errors import BadRequest
from address.report import MAX_REPORTED, ImportReport
from spatial.vector import VectorLimits, read_vector

if TYPE_CHECKING:
    import geopandas as gpd


def read_features(
    path: Path, *, filename: str | None = None, coordsys: str = "wgs84", crs: str | None = None,
    lng_field: str | None = None, lat_field: str | None = None, encoding: str | None = None,
    limits: VectorLimits | None = None,
) -> tuple[gpd.GeoDataFrame, ImportReport]:
    """The file's features in EPSG:4326, repaired, with a report of what was done (``imported``
    counts the features kept; ``details`` the format, CRS and coordsys).

    ``encoding`` is for attribute text that is not UTF-8 (a GBK Shapefile without a .cpg)."""
    if Path(filename or path.name).suffix.lower() in (".osm", ".pbf"):
        raise BadRequest("OpenStreetMap files are for building footprints: upload .geojson, "
                         ".gpkg, a zipped Shapefile (.zip) or .csv")
    found = read_vector(path, filename=filename, coordsys=coordsys, crs=crs,
                        lng_field=lng_field, lat_field=lat_field, encoding=encoding,
                        limits=limits)
    if not len(found.frame):
        raise BadRequest(f"{filename or path.name} has no features")
    report = ImportReport(source=filename or path.name, read=len(found.frame), details={
        "format": found.format, "source_crs": found.source_crs, "coordsys": found.coordsys})
    frame = _repair(found.frame, found.lines, found.bad_points, report)
    report.imported = len(frame)
    return frame, report


def _repair(frame: gpd.GeoDataFrame, lines: list[int], bad_points: dict[int, str],
            report: ImportReport) -> gpd.GeoDataFrame:
    """Repair invalid geometries; reject missing, empty or unrepairable ones (by line)."""
    geoms = frame.geometry.array
    keep = np.ones(len(frame), dtype=bool)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    for index in np.flatnonzero(missing):
        keep[index] = False
        report.fail(lines[index], bad_points.get(int(index), "missing or empty geometry"))
    repaired = geoms.copy()
    repaired_lines: list[int] = []
    for index in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[index])
        fixed = _same_dimension(shapely.make_valid(geoms[index]), geoms[index])
        if fixed is None or fixed.is_empty or not fixed.is_valid:
            keep[index] = False
            report.fail(lines[index], f"invalid: {reason}")
        else:
            repaired[index] = fixed
            repaired_lines.append(lines[index])
    report.count("repaired", len(repaired_lines))
    report.details["repaired_lines"] = repaired_lines[:MAX_REPORTED]
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
