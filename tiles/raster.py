"""Raster tiles: PNG tiles and point values of a catalogued raster (``spatial.rasters``) through
rio-tiler (imported with the first tile, not with the module: it is most of a second of the API's
start-up).
"""

import re

import numpy as np

from address.errors import BadRequest, NotFound
from spatial.rasters import Raster
from tiles.mvt import TileRequest

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RESCALE = re.compile(rf"\s*({_NUMBER})\s*,\s*({_NUMBER})\s*")

OVERZOOM = 6  # zoom levels past a raster's own resolution still served (upsampled)


def parse_rescale(value: str | None, raster: Raster) -> tuple[float, float]:
    """``min,max``; by default the first band's min and max."""
    if value:
        match = _RESCALE.fullmatch(value)
        low, high = (float(match[1]), float(match[2])) if match else (0.0, 0.0)
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise BadRequest(f"bad rescale {value!r}: two finite numbers min,max with min < max")
        return low, high
    first = next(iter(raster.stats.values()), {"min": 0.0, "max": 255.0})
    return float(first["min"]), float(first["max"])


def render_tile(raster: Raster, *, z: int, x: int, y: int, rescale: tuple[float, float],
                colormap: str | None) -> bytes | None:
    """A 256-px PNG, or None when the tile is outside the raster. BadRequest for a tile that
    cannot exist, NotFound far past the raster's resolution."""
    TileRequest(z, x, y).check()
    if raster.maxzoom is not None and z > raster.maxzoom + OVERZOOM:
        raise NotFound(f"raster {raster.name!r} has tiles up to zoom "
                       f"{raster.maxzoom + OVERZOOM} (its resolution: {raster.maxzoom})")
    from rio_tiler.colormap import cmap
    from rio_tiler.errors import TileOutsideBounds
    from rio_tiler.io import Reader

    if colormap is not None and colormap not in cmap.list():
        raise BadRequest(f"unknown colormap {colormap!r}")
    try:
        with Reader(raster.path) as reader:
            image = reader.tile(x, y, z, indexes=1 if colormap else None)
    except TileOutsideBounds:
        return None
    image.rescale(in_range=[rescale])
    return image.render(img_format="PNG", colormap=cmap.get(colormap) if colormap else None)


def point_values(raster: Raster, *, lng: float, lat: float) -> list[float | None]:
    """Each band's value at a WGS84 point (None where nodata); NotFound outside the raster."""
    west, south, east, north = raster.bounds
    if not (west <= lng <= east and south <= lat <= north):
        raise NotFound(f"the point {lng},{lat} is outside raster {raster.name!r}")
    from rio_tiler.io import Reader

    with Reader(raster.path) as reader:
        point = reader.point(lng, lat)
    mask = np.ma.getmaskarray(point.array)
    return [None if masked else float(v) for v, masked in zip(point.array.data, mask, strict=True)]
