"""Building heights from a DSM and a DEM, the way 3DBAG derives its LoD1.2 heights.

Roof: the 50th and 70th percentiles and the maximum of the DSM pixels inside the footprint.
Ground: a low (10th) percentile of the DEM pixels in a ring 1–10 m around the footprint (a
filtered DTM has no data under buildings); a raster coarser than the building is sampled at its
centroid instead. ``height_m`` is roof p70 − ground. Quality fields keep the pixel counts and
the no-data share; provenance names the rasters. With too few roof pixels the height falls back
to floors × storey height, and floors missing from every source are estimated from the height.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
import shapely
from numpy.typing import NDArray
from psycopg import Connection
from rasterio.features import rasterize
from rasterio.windows import Window, from_bounds

from spatial.coords import transformer

STOREY_M = 3.0
MIN_ROOF_PIXELS = 3
MAX_NODATA_SHARE = 0.5
RING_M = (1.0, 10.0)
CHUNK_PX = 2048


@dataclass
class Footprint:
    id: int
    metric: shapely.Geometry  # EPSG:4549


def _to_crs(geoms: NDArray[np.object_], crs: str) -> NDArray[np.object_]:
    t = transformer(4549, crs)
    return np.asarray(shapely.transform(
        geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))), dtype=object)


def _chunks(src: rasterio.DatasetReader, geoms: NDArray[np.object_]
            ) -> Iterator[tuple[NDArray[np.int64], Window]]:
    """Groups of footprints (in the raster's CRS) and the window that holds each group."""
    inv = ~src.transform
    cx, cy = inv @ (shapely.get_x(shapely.centroid(geoms)), shapely.get_y(shapely.centroid(geoms)))
    block = (np.floor(np.asarray(cx) / CHUNK_PX) * 100_000 + np.floor(np.asarray(cy) / CHUNK_PX))
    full = Window(0, 0, src.width, src.height)
    for key in np.unique(block):
        members = np.flatnonzero(block == key)
        bounds = shapely.total_bounds(geoms[members])
        window = from_bounds(*bounds, transform=src.transform).round_offsets().round_lengths()
        window = Window(window.col_off - 1, window.row_off - 1, window.width + 2,
                        window.height + 2)
        try:
            yield members, window.intersection(full)
        except rasterio.errors.WindowError:
            continue


def zonal(src: rasterio.DatasetReader, geoms: NDArray[np.object_]
          ) -> list[tuple[NDArray[np.float64], int]]:
    """Per geometry (in the raster's CRS): its valid pixel values and its total pixel count."""
    out: list[tuple[NDArray[np.float64], int]] = [(np.empty(0), 0)] * len(geoms)
    for members, window in _chunks(src, geoms):
        data = src.read(1, window=window, masked=True).astype(np.float64)
        scale, offset = src.scales[0], src.offsets[0]
        labels = rasterize(((geoms[m], i + 1) for i, m in enumerate(members)),
                           out_shape=data.shape, transform=src.window_transform(window),
                           fill=0, dtype="int32")
        flat, valid = labels.ravel(), ~np.ma.getmaskarray(data).ravel()
        values = data.filled(np.nan).ravel() * scale + offset
        order = np.argsort(flat, kind="stable")
        edges = np.searchsorted(flat[order], np.arange(len(members) + 2))
        for i, m in enumerate(members):
            idx = order[edges[i + 1]:edges[i + 2]]
            out[m] = (values[idx][valid[idx]], len(idx))
    return out


def sample_points(src: rasterio.DatasetReader, points: NDArray[np.object_]) -> NDArray[np.float64]:
    xy = list(zip(shapely.get_x(points), shapely.get_y(points), strict=True))
    values = np.array([v[0] for v in src.sample(xy, masked=True)], dtype=object)
    return np.array([np.nan if v is np.ma.masked else float(v) for v in values])


def roof_stats(values: NDArray[np.float64], total: int) -> dict[str, Any]:
    share = 1.0 - len(values) / total if total else 1.0
    stats: dict[str, Any] = {"roof_pixels": len(values), "roof_nodata_share": round(share, 3)}
    if len(values) >= MIN_ROOF_PIXELS and share <= MAX_NODATA_SHARE:
        p50, p70 = np.percentile(values, [50, 70])
        stats.update(roof_p50=round(float(p50), 2), roof_p70=round(float(p70), 2),
                     roof_max=round(float(values.max()), 2))
    return stats


def ground_level(values: NDArray[np.float64], point_value: float) -> tuple[float | None, str]:
    if len(values) >= MIN_ROOF_PIXELS:
        return float(np.percentile(values, 10)), "ring_p10"
    if np.isfinite(point_value):
        return float(point_value), "centroid"
    return None, "none"


def estimate(roof: dict[str, Any], ground: float | None, floors: int | None,
             tagged: float | None = None) -> tuple[float | None, str | None, int | None]:
    """(height_m, height_source, floors): from the rasters, else a source's height tag, else
    floors × storey height; floors missing everywhere are estimated from the height."""
    if "roof_p70" in roof and ground is not None:
        height = max(roof["roof_p70"] - ground, 0.0)
        return round(height, 2), "dsm", floors or max(1, round((height - 1.0) / STOREY_M))
    if tagged:
        return tagged, "attribute", floors or max(1, round((tagged - 1.0) / STOREY_M))
    if floors:
        return round(floors * STOREY_M, 2), "floors", floors
    return None, None, None


_CANDIDATES = """
SELECT b.id, ST_AsBinary(ST_Transform(b.geom, 4549)), b.floors,
  CASE WHEN b.attributes ->> 'height' ~ '^[0-9.]+$' THEN (b.attributes ->> 'height')::float8 END,
  (SELECT r.id FROM raster r WHERE r.kind = 'dsm' AND ST_Covers(r.geom, b.geom)
   ORDER BY r.resolution LIMIT 1),
  (SELECT r.id FROM raster r WHERE r.kind = 'dem' AND ST_Covers(r.geom, b.geom)
   ORDER BY r.resolution LIMIT 1)
FROM building b
WHERE NOT %(only_missing)s OR b.height_source IS NULL OR b.height_source <> 'dsm'
"""


def _by_raster(rows: list[tuple[Any, ...]], col: int) -> dict[int | None, list[int]]:
    groups: dict[int | None, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[row[col]].append(i)
    return groups


def compute_heights(conn: Connection, *, only_missing: bool = False) -> dict[str, int]:
    """Heights for every building (or those without a DSM height); returns counts by source."""
    rows = conn.execute(_CANDIDATES, {"only_missing": only_missing}).fetchall()
    if not rows:
        return {}
    geoms = np.asarray(shapely.from_wkb([bytes(r[1]) for r in rows]), dtype=object)
    paths = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, path, name FROM raster")}
    roofs: list[dict[str, Any]] = [{"roof_pixels": 0} for _ in rows]
    grounds: list[tuple[float | None, str]] = [(None, "none")] * len(rows)
    for raster_id, idx in _by_raster(rows, 4).items():
        if raster_id is None:
            continue
        with rasterio.open(paths[raster_id][0]) as src:
            sel = np.array(idx)
            for k, (values, total) in zip(idx, zonal(src, _to_crs(geoms[sel], src.crs.to_string())),
                                          strict=True):
                roofs[k] = dict(roof_stats(values, total), dsm=paths[raster_id][1])
    for raster_id, idx in _by_raster(rows, 5).items():
        if raster_id is None:
            continue
        sel = np.array(idx)
        rings = shapely.difference(shapely.buffer(geoms[sel], RING_M[1]),
                                   shapely.buffer(geoms[sel], RING_M[0]))
        with rasterio.open(paths[raster_id][0]) as src:
            crs = src.crs.to_string()
            ring_values = zonal(src, _to_crs(rings, crs))
            centre = sample_points(src, _to_crs(shapely.centroid(geoms[sel]), crs))
        for j, k in enumerate(idx):
            level, how = ground_level(ring_values[j][0], centre[j])
            grounds[k] = (level, how)
            roofs[k].update(ground_method=how, ground_pixels=len(ring_values[j][0]),
                            dem=paths[raster_id][1])
    return _store(conn, rows, roofs, grounds)


def _store(conn: Connection, rows: list[tuple[Any, ...]], roofs: list[dict[str, Any]],
           grounds: list[tuple[float | None, str]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    updates = []
    for row, roof, (ground, _) in zip(rows, roofs, grounds, strict=True):
        height, source, floors = estimate(roof, ground, row[2], row[3])
        counts[source or "none"] += 1
        if ground is not None:
            roof["ground"] = round(ground, 2)
        updates.append((height, None if ground is None else round(ground, 2), source, floors,
                        json.dumps(roof), row[0]))
    with conn.cursor() as cur:
        cur.executemany("UPDATE building SET height_m = %s, ground_m = %s, height_source = %s,"
                        " floors = %s, quality = %s, updated_at = now() WHERE id = %s", updates)
    return dict(counts)
