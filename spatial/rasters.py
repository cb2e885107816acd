"""The raster catalog: DSM and DEM files (GeoTIFF, COG, ASCII grid… any CRS GDAL reads).

A raster is registered by path with its CRS, size, resolution (metres), no-data value and
footprint in EPSG:4326; heights pick the finest raster of a kind that covers a building.
"""

import math
from pathlib import Path
from typing import Any

import rasterio
import shapely
from psycopg import Connection
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds

from address.errors import BadRequest, NotFound

RASTER_KINDS = ("dsm", "dem")

_UPSERT = """
INSERT INTO raster (name, kind, path, crs, width, height, resolution, nodata, synthetic, source,
                    geom)
VALUES (%(name)s, %(kind)s, %(path)s, %(crs)s, %(width)s, %(height)s, %(resolution)s,
        %(nodata)s, %(synthetic)s, %(source)s, ST_GeomFromText(%(wkt)s, 4326))
ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, path = EXCLUDED.path, crs = EXCLUDED.crs,
    width = EXCLUDED.width, height = EXCLUDED.height, resolution = EXCLUDED.resolution,
    nodata = EXCLUDED.nodata, synthetic = EXCLUDED.synthetic, source = EXCLUDED.source,
    geom = EXCLUDED.geom
RETURNING id
"""


def describe_raster(path: Path) -> dict[str, Any]:
    """What the catalog keeps about a raster file; BadRequest if GDAL cannot read it."""
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise BadRequest(f"{path.name} has no coordinate reference system")
            west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds,
                                                        densify_pts=21)
            res = abs(src.res[0])
            if src.crs.is_geographic:
                res *= 111_320.0 * math.cos(math.radians((south + north) / 2))
            return {"crs": src.crs.to_string(), "width": src.width, "height": src.height,
                    "resolution": round(res, 3), "nodata": src.nodata,
                    "wkt": shapely.box(west, south, east, north).wkt}
    except RasterioIOError as exc:
        raise BadRequest(f"cannot read raster {path}: {exc}") from None


def register_raster(conn: Connection, *, path: Path, kind: str, name: str | None = None,
                    synthetic: bool = False, source: str = "") -> int:
    if kind not in RASTER_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(RASTER_KINDS)}, not {kind!r}")
    info = describe_raster(path)
    row = conn.execute(_UPSERT, {**info, "name": name or path.stem, "kind": kind,
                                 "path": str(path.resolve()), "synthetic": synthetic,
                                 "source": source or path.name}).fetchone()
    assert row is not None
    return int(row[0])


def list_rasters(conn: Connection, *, kind: str | None = None) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, name, kind, crs, width, height, resolution, nodata, synthetic, source,"
        " ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM raster"
        " WHERE %(kind)s::text IS NULL OR kind = %(kind)s ORDER BY kind, resolution, name",
        {"kind": kind}).fetchall()
    keys = ("id", "name", "kind", "crs", "width", "height", "resolution", "nodata", "synthetic",
            "source")
    return [dict(zip(keys, r[:10], strict=True), bbox=list(r[10:])) for r in rows]


def raster_path(conn: Connection, *, raster_id: int) -> Path:
    row = conn.execute("SELECT path FROM raster WHERE id = %s", [raster_id]).fetchone()
    if row is None:
        raise NotFound(f"no raster {raster_id}")
    return Path(row[0])
