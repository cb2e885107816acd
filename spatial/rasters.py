"""The raster catalog, the one place rasters are registered and listed: DSM and DEM files for
building heights and rasters served as tiles (any GeoTIFF, COG, ASCII grid… in any CRS GDAL reads).

A raster is registered by path, in place (heights: the file is the source), or copied under a
store directory as a Cloud-Optimized GeoTIFF (uploads). The catalog keeps its CRS, size,
resolution (metres), no-data value, footprint in EPSG:4326, bands and statistics, and for stored
copies the zoom range;
heights pick the finest raster of a kind that covers a building; ``tiles.raster`` renders them.
Access levels are the catalog's (``layers.catalog.access``), checked by the caller.
"""

import json
import math
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import rasterio
import rasterio.shutil
import shapely
from psycopg import Connection
from psycopg.rows import dict_row
from rasterio.errors import RasterioIOError
from rasterio.warp import transform_bounds

from address.errors import BadRequest, Conflict, NotFound
from spatial.vector import gdal_message

RASTER_KINDS = ("dsm", "dem", "other")
_STORED_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")  # a file name under the store directory

_COLUMNS = """id, name, title, kind, access_level, owner, path, crs, width, height, resolution,
    nodata, synthetic, source, ARRAY[ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)]
    AS bounds, minzoom, maxzoom, band_count, dtype, stats"""

_UPSERT = """
INSERT INTO raster (name, title, kind, access_level, owner, path, crs, width, height, resolution,
                    nodata, synthetic, source, geom, minzoom, maxzoom, band_count, dtype, stats)
VALUES (%(name)s, %(title)s, %(kind)s, %(access_level)s, %(owner)s, %(path)s, %(crs)s,
        %(width)s, %(height)s, %(resolution)s, %(nodata)s, %(synthetic)s, %(source)s,
        ST_GeomFromText(%(wkt)s, 4326), %(minzoom)s, %(maxzoom)s, %(band_count)s, %(dtype)s,
        %(stats)s)
ON CONFLICT (name) DO UPDATE SET title = EXCLUDED.title, kind = EXCLUDED.kind,
    access_level = EXCLUDED.access_level, owner = EXCLUDED.owner, path = EXCLUDED.path,
    crs = EXCLUDED.crs, width = EXCLUDED.width, height = EXCLUDED.height,
    resolution = EXCLUDED.resolution, nodata = EXCLUDED.nodata, synthetic = EXCLUDED.synthetic,
    source = EXCLUDED.source, geom = EXCLUDED.geom, minzoom = EXCLUDED.minzoom,
    maxzoom = EXCLUDED.maxzoom, band_count = EXCLUDED.band_count, dtype = EXCLUDED.dtype,
    stats = EXCLUDED.stats
"""


@dataclass(frozen=True)
class Raster:
    id: int
    name: str
    title: str
    kind: str
    access_level: str
    owner: str
    path: str
    crs: str
    width: int
    height: int
    resolution: float
    nodata: float | None
    synthetic: bool
    source: str
    bounds: list[float]  # west, south, east, north (WGS84)
    minzoom: int | None
    maxzoom: int | None
    band_count: int | None
    dtype: str | None
    stats: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["path"]  # where it is stored is not the caller's business
        return data


def _bands(src: rasterio.DatasetReader) -> dict[str, Any]:
    """Band count, type and each band's min/max/mean (what a tile's default rescale uses)."""
    stats = src.stats()
    return {"band_count": src.count, "dtype": src.dtypes[0],
            "stats": {f"b{i}": {"min": s.min, "max": s.max, "mean": s.mean}
                      for i, s in enumerate(stats, start=1)}}


def _zooms(path: Path) -> dict[str, int | None]:
    """The web-mercator zoom range (rio-tiler's; ~0.1 s a file, so only for stored copies)."""
    from rio_tiler.io import Reader  # most of a second to import: not with the API's start

    with Reader(str(path)) as reader:
        return {"minzoom": reader.minzoom, "maxzoom": reader.maxzoom}


def describe_raster(path: Path, *, zooms: bool = False) -> dict[str, Any]:
    """What the catalog keeps about a raster file (the zoom range if asked); BadRequest if GDAL
    cannot read it."""
    try:
        # GDAL would keep the computed statistics in a .aux.xml beside the file (in data/sample,
        # say): the catalog keeps them instead
        with rasterio.Env(GDAL_PAM_ENABLED="NO"), rasterio.open(path) as src:
            if src.crs is None:
                raise BadRequest(f"{path.name} has no coordinate reference system")
            west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds,
                                                        densify_pts=21)
            res = abs(src.res[0])
            if src.crs.is_geographic:
                res *= 111_320.0 * math.cos(math.radians((south + north) / 2))
            info = {"crs": src.crs.to_string(), "width": src.width, "height": src.height,
                    "resolution": round(res, 3), "nodata": src.nodata,
                    "wkt": shapely.box(west, south, east, north).wkt, **_bands(src)}
        return {**info, **(_zooms(path) if zooms else {"minzoom": None, "maxzoom": None})}
    except RasterioIOError as exc:
        raise BadRequest(f"cannot read the raster: {gdal_message(exc)}") from None


def is_cog(path: Path) -> bool:
    with rasterio.open(path) as src:
        layout = src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT", "")
        tiled = bool(src.profile.get("tiled"))
        return layout.upper() == "COG" or (tiled and bool(src.overviews(1)))


def to_cog(source: Path, target: Path) -> None:
    """Copy as a COG (web-mercator-friendly overviews, deflate); a COG is copied as is."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_cog(source):
        shutil.copyfile(source, target)
        return
    rasterio.shutil.copy(source, target, driver="COG", compress="DEFLATE",
                         overview_resampling="average")


def _stored_copy(path: Path, name: str, store_dir: Path) -> Path:
    if not _STORED_NAME.match(name):
        raise BadRequest(f"bad raster name {name!r}: lower-case letters, digits and _, starting"
                         " with a letter")
    target = store_dir / f"{name}.tif"
    try:
        to_cog(path, target)
    except RasterioIOError:
        target.unlink(missing_ok=True)
        raise BadRequest("cannot read the file as a GeoTIFF") from None
    return target


def register_raster(conn: Connection, *, path: Path, kind: str = "other", name: str | None = None,
                    title: str | None = None, access_level: str = "internal", owner: str = "",
                    synthetic: bool = False, source: str = "", store_dir: Path | None = None,
                    replace: bool = True) -> Raster:
    """Add a raster to the catalog, in place or (``store_dir``) as a COG copied there.

    ``replace``: a raster of the same name is updated (re-registering a DSM); otherwise that is
    a Conflict."""
    if kind not in RASTER_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(RASTER_KINDS)}, not {kind!r}")
    name = name or path.stem
    if not replace and conn.execute("SELECT 1 FROM raster WHERE name = %s", [name]).fetchone():
        raise Conflict(f"raster {name!r} exists")
    stored = _stored_copy(path, name, store_dir) if store_dir is not None else path.resolve()
    info = describe_raster(stored, zooms=store_dir is not None)
    conn.execute(_UPSERT, {**info, "stats": json.dumps(info["stats"]), "name": name,
                           "title": title or name, "kind": kind, "access_level": access_level,
                           "owner": owner, "path": str(stored), "synthetic": synthetic,
                           "source": source or path.name})
    return get_raster(conn, name=name)


def get_raster(conn: Connection, *, name: str) -> Raster:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM raster WHERE name = %s", [name]).fetchone()
    if row is None:
        raise NotFound(f"no raster named {name!r}")
    return Raster(**row)


def list_rasters(conn: Connection, *, kind: str | None = None,
                 levels: tuple[str, ...] | None = None) -> list[Raster]:
    """The catalog, finest first within a kind; optionally of one kind, of some access levels."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"""SELECT {_COLUMNS} FROM raster
                WHERE (%(kind)s::text IS NULL OR kind = %(kind)s)
                  AND (%(levels)s::text[] IS NULL OR access_level = ANY(%(levels)s))
                ORDER BY kind, resolution, name""",
            {"kind": kind, "levels": list(levels) if levels is not None else None}).fetchall()
    return [Raster(**row) for row in rows]


def raster_path(conn: Connection, *, raster_id: int) -> Path:
    row = conn.execute("SELECT path FROM raster WHERE id = %s", [raster_id]).fetchone()
    if row is None:
        raise NotFound(f"no raster {raster_id}")
    return Path(row[0])
