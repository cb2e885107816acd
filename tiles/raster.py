"""Raster layers: a GeoTIFF is registered as a Cloud-Optimized GeoTIFF (converted with GDAL's COG
driver when it is not one) and served as PNG tiles and point values through rio-tiler.
"""

import json
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from psycopg import Connection
from psycopg.rows import dict_row
from rasterio.errors import RasterioIOError
from rio_tiler.colormap import cmap
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader

from address.errors import BadRequest, Conflict, NotFound
from layers.catalog.access import check_level
from layers.catalog.layers import check_name

COLORMAPS = frozenset(cmap.list())


@dataclass(frozen=True)
class RasterLayer:
    id: int
    name: str
    title: str
    access_level: str
    owner: str
    path: str
    bounds: list[float]
    minzoom: int
    maxzoom: int
    band_count: int
    dtype: str
    nodata: float | None
    stats: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["path"]
        return data


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


def _stats(path: Path) -> dict[str, Any]:
    with Reader(str(path)) as reader:
        stats = reader.statistics()
    return {band: {"min": s.min, "max": s.max, "mean": s.mean} for band, s in stats.items()}


def register_raster(conn: Connection, *, path: Path, name: str, title: str | None = None,
                    access_level: str = "internal", owner: str = "",
                    store_dir: Path) -> RasterLayer:
    """Validate, convert to a COG under ``store_dir`` and add the raster to the catalog."""
    check_name(name)
    check_level(access_level)
    if conn.execute("SELECT 1 FROM raster_layer WHERE name = %s", [name]).fetchone():
        raise Conflict(f"raster {name!r} exists")
    target = store_dir / f"{name}.tif"
    try:
        to_cog(path, target)
        with Reader(str(target)) as reader:
            geographic = reader.get_geographic_bounds(reader.tms.rasterio_geographic_crs)
            bounds = [round(float(v), 7) for v in geographic]
            meta = (reader.minzoom, reader.maxzoom, reader.dataset.count,
                    reader.dataset.dtypes[0], reader.dataset.nodata)
    except RasterioIOError:
        target.unlink(missing_ok=True)
        raise BadRequest("cannot read the file as a GeoTIFF") from None
    conn.execute(
        "INSERT INTO raster_layer (name, title, access_level, owner, path, bounds, minzoom,"
        " maxzoom, band_count, dtype, nodata, stats) VALUES"
        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [name, title or name, access_level, owner, str(target), bounds, *meta,
         json.dumps(_stats(target))])
    return get_raster(conn, name=name)


def get_raster(conn: Connection, *, name: str) -> RasterLayer:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT id, name, title, access_level, owner, path, bounds, minzoom, maxzoom,"
            " band_count, dtype, nodata, stats FROM raster_layer WHERE name = %s", [name]
        ).fetchone()
    if row is None:
        raise NotFound(f"no raster named {name!r}")
    return RasterLayer(**row)


def list_rasters(conn: Connection, *, levels: tuple[str, ...]) -> list[RasterLayer]:
    names = conn.execute("SELECT name FROM raster_layer WHERE access_level = ANY(%s)"
                         " ORDER BY name", [list(levels)]).fetchall()
    return [get_raster(conn, name=n) for (n,) in names]


def parse_rescale(value: str | None, raster: RasterLayer) -> tuple[float, float]:
    """``min,max``; by default the first band's min and max."""
    if value:
        match = re.fullmatch(r"\s*(-?[\d.]+)\s*,\s*(-?[\d.]+)\s*", value)
        if not match or float(match[1]) >= float(match[2]):
            raise BadRequest(f"bad rescale {value!r}: min,max with min < max")
        return float(match[1]), float(match[2])
    first = next(iter(raster.stats.values()), {"min": 0.0, "max": 255.0})
    return float(first["min"]), float(first["max"])


def render_tile(raster: RasterLayer, *, z: int, x: int, y: int, rescale: tuple[float, float],
                colormap: str | None) -> bytes | None:
    """A 256-px PNG, or None when the tile is outside the raster."""
    if colormap is not None and colormap not in COLORMAPS:
        raise BadRequest(f"unknown colormap {colormap!r}")
    try:
        with Reader(raster.path) as reader:
            image = reader.tile(x, y, z, indexes=1 if colormap else None)
    except TileOutsideBounds:
        return None
    image.rescale(in_range=[rescale])
    return image.render(img_format="PNG", colormap=cmap.get(colormap) if colormap else None)


def point_values(raster: RasterLayer, *, lng: float, lat: float) -> list[float | None]:
    """Each band's value at a WGS84 point (None where nodata); NotFound outside the raster."""
    west, south, east, north = raster.bounds
    if not (west <= lng <= east and south <= lat <= north):
        raise NotFound(f"the point {lng},{lat} is outside raster {raster.name!r}")
    with Reader(raster.path) as reader:
        point = reader.point(lng, lat)
    mask = np.ma.getmaskarray(point.array)
    return [None if masked else float(v) for v, masked in zip(point.array.data, mask, strict=True)]
