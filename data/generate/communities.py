"""Seeded generator of the synthetic community (居委/村委) polygons and grid (网格) cells.

No public polygons exist for either. Communities partition each real town polygon into Voronoi
cells, one per real 12-digit community code: a village committee whose village appears among the
real sample addresses is seeded at that address, the rest at seeded random points relaxed by a few
Lloyd steps so the cells are even. The grid is a square lattice of 1 km² cells (in EPSG:4549)
cut by the communities, with slivers merged into a neighbour of the same community.

    python -m data.generate.communities data/sample   # rewrites the two *_synthetic.geojson
"""

import csv
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

SEED = 20221
METRIC_CRS = 4549
GRID_CELL_M = 1000.0
MIN_GRID_M2 = 300_000.0
LLOYD_STEPS = 4
SOURCE_NOTE = "synthetic: seeded generator data/generate/communities.py"


def community_base_name(name: str) -> str:
    for suffix in ("村民委员会", "村委会", "社区居委会", "居民委员会", "居委会"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _anchor_points(sample_dir: Path) -> dict[str, tuple[float, float]]:
    """Village name (e.g. 淀西村) → WGS84 point of the real address of that name."""
    anchors: dict[str, tuple[float, float]] = {}
    with (sample_dir / "qingpu_addresses_covid2022_amap.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            anchors.setdefault(row["address"], (float(row["wgs84_lng"]), float(row["wgs84_lat"])))
    return anchors


def _random_points(area: BaseGeometry, count: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    found: list[tuple[float, float]] = []
    while len(found) < count:
        xs = rng.uniform(minx, maxx, count * 4)
        ys = rng.uniform(miny, maxy, count * 4)
        inside = shapely.contains_xy(area, xs, ys)
        found.extend(zip(xs[inside], ys[inside], strict=True))
    return np.array(found[:count])


def _voronoi_cells(area: BaseGeometry, seeds: np.ndarray) -> list[BaseGeometry]:
    """One cell per seed (in seed order), clipped to the area."""
    regions = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=area)
    cells = list(shapely.get_parts(regions))
    points = shapely.points(seeds)
    ordered = [next(c for c in cells if c.contains(p)) for p in points]
    return [shapely.make_valid(c.intersection(area)) for c in ordered]


def partition_town(
    town: BaseGeometry, anchored: np.ndarray, free: int, rng: np.random.Generator
) -> list[BaseGeometry]:
    """Cells for the anchored seeds first, then ``free`` relaxed random seeds."""
    free_seeds = _random_points(town, free, rng)
    for _ in range(LLOYD_STEPS):
        cells = _voronoi_cells(town, np.vstack([anchored, free_seeds]))
        centroids = [c.representative_point() if c.is_empty else c.centroid for c in cells]
        moved = np.array([(p.x, p.y) for p in centroids[len(anchored):]])
        inside = shapely.contains_xy(town, moved[:, 0], moved[:, 1])
        free_seeds = np.where(inside[:, None], moved, free_seeds)
    return _voronoi_cells(town, np.vstack([anchored, free_seeds]))


def generate_communities(sample_dir: Path, rng: np.random.Generator) -> gpd.GeoDataFrame:
    towns = gpd.read_file(sample_dir / "qingpu_towns_2022_wgs84.geojson").to_crs(METRIC_CRS)
    units = gpd.pd.read_csv(sample_dir / "qingpu_admin_units_nbs2023.csv", dtype=str)
    communities = units[units["level"] == "village_committee"]
    anchors = _anchor_points(sample_dir)
    to_metric = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)
    rows = []
    for town in towns.sort_values("nbs_code").itertuples():
        members = communities[communities["parent_code"] == town.nbs_code].sort_values("code")
        anchored, free = [], []
        for member in members.itertuples():
            name = community_base_name(member.name)
            lnglat = anchors.get(name) or anchors.get(name + "村")
            point = to_metric.transform(*lnglat) if lnglat else None
            if point is not None and town.geometry.contains(shapely.points(point)):
                anchored.append((member, point))
            else:
                free.append(member)
        anchor_xy = np.array([p for _, p in anchored], dtype=float).reshape(-1, 2)
        cells = partition_town(town.geometry, anchor_xy, len(free), rng)
        ordered = [(m, True) for m, _ in anchored] + [(m, False) for m in free]
        for (member, is_anchored), cell in zip(ordered, cells, strict=True):
            rows.append({"code": member.code, "name": member.name, "parent_code": town.nbs_code,
                         "anchored": is_anchored, "geometry": cell})
    out = gpd.GeoDataFrame(rows, crs=METRIC_CRS).sort_values("code")
    return out.reset_index(drop=True)


def generate_grid(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = communities.total_bounds
    xs = np.arange(minx, maxx + GRID_CELL_M, GRID_CELL_M)
    ys = np.arange(miny, maxy + GRID_CELL_M, GRID_CELL_M)
    lattice = gpd.GeoDataFrame(
        geometry=[shapely.box(x, y, x + GRID_CELL_M, y + GRID_CELL_M) for x in xs for y in ys],
        crs=communities.crs,
    )
    pieces = gpd.overlay(communities[["code", "name", "geometry"]], lattice, how="intersection",
                         keep_geom_type=True)
    rows = []
    for code, group in pieces.groupby("code", sort=True):
        for n, cell in enumerate(_merge_slivers(list(group.geometry)), start=1):
            rows.append({"code": f"{code}{n:03d}", "name": f"{group['name'].iloc[0]}第{n}网格",
                         "parent_code": code, "geometry": cell})
    return gpd.GeoDataFrame(rows, crs=communities.crs)


def _merge_slivers(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """Merge each piece under MIN_GRID_M2 into the touching piece it shares most border with."""
    cells = sorted(cells, key=lambda c: (-c.area, c.centroid.x, c.centroid.y))
    while len(cells) > 1 and cells[-1].area < MIN_GRID_M2:
        sliver = cells.pop()
        shared = [sliver.boundary.intersection(c.boundary).length for c in cells]
        best = int(np.argmax(shared)) if max(shared) > 0 else int(
            np.argmin([sliver.distance(c) for c in cells]))
        cells[best] = shapely.make_valid(cells[best].union(sliver))
        cells.sort(key=lambda c: (-c.area, c.centroid.x, c.centroid.y))
    return sorted(cells, key=lambda c: (-c.centroid.y, c.centroid.x))


def _write(frame: gpd.GeoDataFrame, path: Path) -> None:
    frame = frame.to_crs(4326)
    frame["geometry"] = frame.geometry.apply(lambda g: shapely.set_precision(g, 1e-7))
    frame["synthetic"] = True
    frame["source"] = SOURCE_NOTE
    frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=7)


def main(sample_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    communities = generate_communities(sample_dir, rng)
    grid = generate_grid(communities)
    _write(communities.drop(columns=["anchored"]), sample_dir / "communities_synthetic.geojson")
    _write(grid, sample_dir / "grid_synthetic.geojson")
    print(f"{len(communities)} communities ({int(communities['anchored'].sum())} anchored), "
          f"{len(grid)} grid cells, mean {grid.area.mean() / 1e6:.2f} km²")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample"))
