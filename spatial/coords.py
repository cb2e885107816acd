"""WGS84 (= CGCS2000 here) ⇄ GCJ-02 ⇄ BD-09.

GCJ-02 is the obfuscated datum every map in mainland China must use; BD-09 is Baidu's further
offset. The forward transform is public; the inverse has no closed form, so it is solved by
fixed-point iteration, which converges to well under a millimetre in a few steps. Many tools use a
single step instead (w = g - offset(g)), which is off by up to about 2 m in Shanghai; the AMap
sample's WGS84 column was made that way, so ``method="onestep"`` reproduces such data.
Functions take scalars or NumPy arrays.
"""

import math
from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Literal, TypeVar, cast

import numpy as np
from numpy.typing import NDArray
from pyproj import Transformer

from address.errors import BadRequest
from address.register.sources import SourceRow

CoordSys = Literal["wgs84", "gcj02", "bd09"]
COORDSYS: tuple[CoordSys, ...] = ("wgs84", "gcj02", "bd09")

Num = TypeVar("Num", float, NDArray[np.float64])

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def parse_coordsys(value: str) -> CoordSys:
    name = value.strip().lower().replace("-", "")
    if name in ("wgs84", "cgcs2000", "4326", "4490"):
        return "wgs84"
    if name in ("gcj02", "amap", "gaode", "tencent"):
        return "gcj02"
    if name in ("bd09", "bd09ll", "baidu"):
        return "bd09"
    raise BadRequest(f"unknown coordsys {value!r}: use one of wgs84, gcj02, bd09")


def out_of_china(lng: Num, lat: Num) -> NDArray[np.bool_] | bool:
    """GCJ-02 leaves points outside mainland China's rough bounding box unchanged."""
    if isinstance(lng, float) and isinstance(lat, float):
        return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)
    outside = (np.asarray(lng) < 72.004) | (np.asarray(lng) > 137.8347)
    outside |= (np.asarray(lat) < 0.8293) | (np.asarray(lat) > 55.8271)
    return outside if np.ndim(outside) else bool(outside)


def _gcj_offset(lng: Num, lat: Num, m: ModuleType = np) -> tuple[Num, Num]:
    """The offset at (lng, lat); ``m`` is NumPy for arrays, :mod:`math` for one point (the same
    formula; NumPy's ufuncs on scalars are some twenty times slower)."""
    x, y = lng - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * m.sqrt(abs(x))
             + (20.0 * m.sin(6.0 * x * m.pi) + 20.0 * m.sin(2.0 * x * m.pi)) * 2.0 / 3.0
             + (20.0 * m.sin(y * m.pi) + 40.0 * m.sin(y / 3.0 * m.pi)) * 2.0 / 3.0
             + (160.0 * m.sin(y / 12.0 * m.pi) + 320 * m.sin(y * m.pi / 30.0)) * 2.0 / 3.0)
    d_lng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * m.sqrt(abs(x))
             + (20.0 * m.sin(6.0 * x * m.pi) + 20.0 * m.sin(2.0 * x * m.pi)) * 2.0 / 3.0
             + (20.0 * m.sin(x * m.pi) + 40.0 * m.sin(x / 3.0 * m.pi)) * 2.0 / 3.0
             + (150.0 * m.sin(x / 12.0 * m.pi) + 300.0 * m.sin(x / 30.0 * m.pi)) * 2.0 / 3.0)
    rad_lat = lat / 180.0 * m.pi
    magic = 1 - _EE * m.sin(rad_lat) ** 2
    sqrt_magic = m.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * m.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * m.cos(rad_lat) * m.pi)
    return d_lng, d_lat


def wgs84_to_gcj02(lng: Num, lat: Num) -> tuple[Num, Num]:
    if isinstance(lng, float) and isinstance(lat, float):
        if out_of_china(lng, lat):
            return lng, lat
        d_lng, d_lat = _gcj_offset(lng, lat, math)
        return lng + d_lng, lat + d_lat
    d_lng, d_lat = _gcj_offset(lng, lat)
    keep = out_of_china(lng, lat)
    # np.where turns scalars into 0-d arrays; [()] turns them back
    out_lng, out_lat = np.where(keep, lng, lng + d_lng)[()], np.where(keep, lat, lat + d_lat)[()]
    return cast(Num, out_lng), cast(Num, out_lat)


def gcj02_to_wgs84(
    lng: Num, lat: Num, method: Literal["exact", "onestep"] = "exact"
) -> tuple[Num, Num]:
    """Solve wgs84_to_gcj02(w) = g by fixed-point iteration on w (one iteration for "onestep")."""
    w_lng, w_lat = lng, lat
    for _ in range(8 if method == "exact" else 1):
        g_lng, g_lat = wgs84_to_gcj02(w_lng, w_lat)
        w_lng, w_lat = w_lng + (lng - g_lng), w_lat + (lat - g_lat)
    return w_lng, w_lat


def gcj02_to_bd09(lng: Num, lat: Num) -> tuple[Num, Num]:
    z = np.sqrt(lng * lng + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lng) + 0.000003 * np.cos(lng * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lng: Num, lat: Num) -> tuple[Num, Num]:
    """Baidu's published inverse, refined by two fixed-point steps (it alone is off by ~5 cm)."""
    x, y = lng - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    g_lng, g_lat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(2):
        b_lng, b_lat = gcj02_to_bd09(g_lng, g_lat)
        g_lng, g_lat = g_lng + (lng - b_lng), g_lat + (lat - b_lat)
    return g_lng, g_lat


def to_wgs84(lng: Num, lat: Num, coordsys: CoordSys) -> tuple[Num, Num]:
    if coordsys == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if coordsys == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lng, lat))
    return lng, lat


def rows_to_wgs84(rows: list[SourceRow], coordsys: CoordSys) -> list[SourceRow]:
    """Source rows with their points converted to WGS84 in one vectorised pass (in place)."""
    located = [r for r in rows if r.x is not None and r.y is not None]
    if coordsys == "wgs84" or not located:
        return rows
    xs, ys = to_wgs84(np.array([r.x for r in located]), np.array([r.y for r in located]),
                      coordsys)
    for row, x, y in zip(located, np.asarray(xs).tolist(), np.asarray(ys).tolist(),
                         strict=True):
        row.x, row.y = x, y
    return rows


BBox = tuple[float, float, float, float]


def parse_bbox(value: str, *, degrees: bool = True) -> BBox:
    """``"minx,miny,maxx,maxy"`` (west,south,east,north), min ≤ max; in range when ``degrees``."""
    try:
        parts = [float(p) for p in value.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not np.isfinite(parts).all():
        raise BadRequest(f"bad bbox {value!r}: four numbers minx,miny,maxx,maxy")
    west, south, east, north = parts
    if west > east or south > north:
        raise BadRequest(f"bad bbox {value!r}: minx ≤ maxx and miny ≤ maxy")
    if degrees and not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise BadRequest(f"bad bbox {value!r}: longitudes within ±180, latitudes within ±90")
    return west, south, east, north


def from_wgs84(lng: Num, lat: Num, coordsys: CoordSys) -> tuple[Num, Num]:
    if coordsys == "gcj02":
        return wgs84_to_gcj02(lng, lat)
    if coordsys == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lng, lat))
    return lng, lat


def location_text(lng: float, lat: float, coordsys: CoordSys) -> str:
    """A WGS84 point as AMap's ``"lng,lat"`` in ``coordsys``."""
    x, y = from_wgs84(lng, lat, coordsys)
    return f"{float(x):.7f},{float(y):.7f}"


def output_transform(coordsys: CoordSys) -> Callable[[float, float], tuple[float, float]] | None:
    """A scalar WGS84 → ``coordsys`` function for writers, or None when nothing changes."""
    if coordsys == "wgs84":
        return None

    def transform(lng: float, lat: float) -> tuple[float, float]:
        x, y = from_wgs84(lng, lat, coordsys)
        return float(x), float(y)

    return transform


def convert(lng: Num, lat: Num, source: CoordSys, target: CoordSys) -> tuple[Num, Num]:
    return from_wgs84(*to_wgs84(lng, lat, source), target)


def parse_lnglat(value: str) -> tuple[float, float]:
    """``"lng,lat"`` as in AMap's API, validated."""
    parts = value.split(",")
    try:
        lng, lat = (float(p) for p in parts)
    except ValueError as exc:
        raise BadRequest(f"expected 'lng,lat' as two numbers, got {value!r}") from exc
    if not (-180 <= lng <= 180 and -90 <= lat <= 90) or not np.isfinite([lng, lat]).all():
        raise BadRequest(f"'lng,lat' out of range: {value!r}")
    return lng, lat


@lru_cache(maxsize=16)
def transformer(source: int | str, target: int | str) -> Transformer:
    """A pyproj transformer (lng/lat order), made once a process on first use: making one reads
    the PROJ database (a tenth of a second), too slow for every call and for import time."""
    return Transformer.from_crs(source, target, always_xy=True)
