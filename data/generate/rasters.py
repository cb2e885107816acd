"""SYNTHETIC DSM and DEM tiles (Cloud-Optimized GeoTIFFs) for the synthetic buildings.

Only the built areas are covered: the truth buildings are grouped into 1 km cells and each group
gets a tile spanning its buildings. Ground is a smooth 3–5 m surface; the DSM (EPSG:4549, 2 m)
adds the truth roof heights, sensor noise and no-data holes, and has no data farther than 15 m
from a building; the DEM (EPSG:4326, ~5 m) is the ground with no-data under buildings, as in a
filtered DTM. Values are stored as 16-bit decimetres with a 0.1 scale (readers apply it), which
keeps the sample small.
"""

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.shutil
from numpy.typing import NDArray
from rasterio.features import rasterize
from rasterio.io import MemoryFile
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds
from scipy.ndimage import binary_dilation

DSM_RES_M = 2.0
DEM_RES_DEG = 0.00005
TILE_M = 1000.0
NODATA = -32768
SCALE = 0.1
COVER_M = 15.0
COG_OPTIONS = {"compress": "DEFLATE", "predictor": "2", "blocksize": "256",
               "overview_resampling": "average"}


@dataclass(frozen=True)
class Tile:
    name: str
    bounds: tuple[float, float, float, float]


def ground(x: NDArray[np.floating], y: NDArray[np.floating]) -> NDArray[np.float64]:
    """The synthetic terrain (metres above datum, 3–5 m), a function of EPSG:4549 x/y."""
    return np.asarray(4.0 + 0.6 * np.sin(x / 1700.0) + 0.4 * np.cos(y / 1300.0), dtype=np.float64)


def tiles(truth: gpd.GeoDataFrame, margin_m: float = 20.0) -> list[Tile]:
    cx = np.floor(truth.geometry.centroid.x / TILE_M).astype(int)
    cy = np.floor(truth.geometry.centroid.y / TILE_M).astype(int)
    out = []
    for (i, j), group in truth.groupby([cx, cy]):
        minx, miny, maxx, maxy = group.total_bounds
        snap = DSM_RES_M
        out.append(Tile(f"e{i}n{j}", (np.floor((minx - margin_m) / snap) * snap,
                                      np.floor((miny - margin_m) / snap) * snap,
                                      np.ceil((maxx + margin_m) / snap) * snap,
                                      np.ceil((maxy + margin_m) / snap) * snap)))
    return out


def _write_cog(path: Path, metres: NDArray[np.float64], nodata: NDArray[np.bool_],
               transform: rasterio.Affine, crs: str) -> None:
    data = np.round(metres / SCALE).astype(np.int16)
    data[nodata] = NODATA
    profile = {"driver": "GTiff", "height": data.shape[0], "width": data.shape[1], "count": 1,
               "dtype": "int16", "crs": crs, "transform": transform, "nodata": NODATA}
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data, 1)
            dst.scales = (SCALE,)
            dst.update_tags(SYNTHETIC="seeded generator data/generate/rasters.py")
        with mem.open() as src:
            rasterio.shutil.copy(src, str(path), driver="COG", **COG_OPTIONS)


def _holes(shape: tuple[int, int], rng: np.random.Generator, share: float) -> NDArray[np.bool_]:
    """Round blobs of no-data covering about ``share`` of the pixels."""
    seeds = rng.random(shape) < share / 13  # a radius-2 disk covers 13 pixels
    disk = np.add.outer(np.arange(-2, 3) ** 2, np.arange(-2, 3) ** 2) <= 4
    return np.asarray(binary_dilation(seeds, structure=disk), dtype=bool)


def write_dsm(path: Path, tile: Tile, truth: gpd.GeoDataFrame, rng: np.random.Generator) -> None:
    minx, miny, maxx, maxy = tile.bounds
    width, height = round((maxx - minx) / DSM_RES_M), round((maxy - miny) / DSM_RES_M)
    transform = from_origin(minx, maxy, DSM_RES_M, DSM_RES_M)
    xs = minx + (np.arange(width) + 0.5) * DSM_RES_M
    ys = maxy - (np.arange(height) + 0.5) * DSM_RES_M
    surface = ground(xs[None, :], ys[:, None])
    near = truth.cx[minx - 100:maxx + 100, miny - 100:maxy + 100]
    roofs = rasterize(zip(near.geometry, near.height_m, strict=True), out_shape=(height, width),
                      transform=transform, fill=0.0, dtype="float32")
    covered = rasterize(near.geometry.buffer(COVER_M), out_shape=(height, width),
                        transform=transform, fill=0, default_value=1, dtype="uint8")
    dsm = surface + roofs + rng.normal(0, 0.1, surface.shape)
    nodata = (covered == 0) | _holes(dsm.shape, rng, 0.01)
    _write_cog(path, dsm, nodata, transform, "EPSG:4549")


def write_dem(path: Path, tile: Tile, truth: gpd.GeoDataFrame, rng: np.random.Generator) -> None:
    from pyproj import Transformer

    west, south, east, north = transform_bounds("EPSG:4549", "EPSG:4326", *tile.bounds)
    width = int(np.ceil((east - west) / DEM_RES_DEG))
    height = int(np.ceil((north - south) / DEM_RES_DEG))
    transform = from_origin(west, north, DEM_RES_DEG, DEM_RES_DEG)
    lng = west + (np.arange(width) + 0.5) * DEM_RES_DEG
    lat = north - (np.arange(height) + 0.5) * DEM_RES_DEG
    grid_lng, grid_lat = np.meshgrid(lng, lat)
    x, y = Transformer.from_crs(4326, 4549, always_xy=True).transform(grid_lng, grid_lat)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    dem = ground(x, y) + rng.normal(0, 0.05, x.shape)
    near = truth.cx[tile.bounds[0] - 100:tile.bounds[2] + 100,
                    tile.bounds[1] - 100:tile.bounds[3] + 100].to_crs(4326)
    under = rasterize(near.geometry, out_shape=dem.shape, transform=transform, fill=0,
                      default_value=1, dtype="uint8").astype(bool)
    _write_cog(path, dem, under, transform, "EPSG:4326")


def write_rasters(directory: Path, truth: gpd.GeoDataFrame, *, seed: int) -> list[Path]:
    """DSM and DEM tiles for ``truth`` (EPSG:4549) under ``directory``/{dsm,dem}/."""
    rng = np.random.default_rng(seed)
    written = []
    for kind in ("dsm", "dem"):
        (directory / kind).mkdir(parents=True, exist_ok=True)
        for old in (directory / kind).glob("*.tif"):
            old.unlink()
    for tile in tiles(truth):
        for kind, write in (("dsm", write_dsm), ("dem", write_dem)):
            path = directory / kind / f"{kind}_{tile.name}_synthetic.tif"
            write(path, tile, truth, rng)
            written.append(path)
    return written
