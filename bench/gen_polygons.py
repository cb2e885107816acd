"""A seeded, building-like polygon layer over 青浦区 as a GeoPackage, and the benchmark database.

    .venv/bin/python bench/gen_polygons.py --features 1000000 --out var/bench/polygons_1m.gpkg
    .venv/bin/python bench/gen_polygons.py --load var/bench/polygons_1m.gpkg  # dizhi_bench_tiles

Footprints are rotated rectangles whose size is log-normal (median 18 m, like buildings), their
centres clustered around seeded town centres, with a few attributes (name, kind, floors, area,
built date). ``--load`` creates (or reuses) the database ``dizhi_bench_tiles`` in the embedded
cluster, migrates it and uploads the file through ``layers.catalog.store.add_layer`` (timed,
printed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_DB = "dizhi_bench_tiles"
LAYER = "bench_polygons"
# CGCS2000 / 3-degree GK CM 120E (metres) box around 青浦区 (about 120.90–121.30E, 30.95–31.30N).
XMIN, XMAX, YMIN, YMAX = 586_000.0, 624_000.0, 3_424_000.0, 3_463_000.0
KINDS = np.array(["住宅", "工业", "商业", "公共", "农业"])


def footprints(n: int, seed: int = 7) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    centres = rng.uniform([XMIN, YMIN], [XMAX, YMAX], size=(40, 2))
    which = rng.integers(0, len(centres), n)
    spread = rng.uniform(800, 4000, len(centres))[which]
    xy = centres[which] + rng.normal(0, 1, (n, 2)) * spread[:, None]
    half_w = np.clip(rng.lognormal(np.log(9.0), 0.6, n), 2.5, 200.0)
    half_h = half_w * rng.uniform(0.4, 1.0, n)
    angle = rng.uniform(0, np.pi, n)
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=float)
    local = corners[None, :, :] * np.stack([half_w, half_h], axis=1)[:, None, :]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    rotated = np.stack([local[..., 0] * cos - local[..., 1] * sin,
                        local[..., 0] * sin + local[..., 1] * cos], axis=2)
    polygons = shapely.polygons(rotated + xy[:, None, :])
    frame = gpd.GeoDataFrame({
        "name": [f"楼{i}" for i in range(n)],
        "kind": KINDS[rng.integers(0, len(KINDS), n)],
        "floors": rng.integers(1, 33, n),
        "area_m2": np.round(4 * half_w * half_h, 1),
        "built": np.datetime64("1980-01-01") + rng.integers(0, 16000, n).astype("timedelta64[D]"),
    }, geometry=polygons, crs=4549)
    return frame.to_crs(4326)


def write(n: int, out: Path, seed: int) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    frame = footprints(n, seed)
    frame.to_file(out, driver="GPKG", layer="polygons", engine="pyogrio")
    print(json.dumps({"features": n, "file": str(out), "mb": round(out.stat().st_size / 2**20, 1),
                      "seconds": round(time.perf_counter() - start, 1)}))


def bench_url() -> str:
    from api import db

    cluster = db.embedded_cluster()
    cluster.start()
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    url = cluster.url(BENCH_DB)
    db.migrate(url)
    return url


def load(path: Path, name: str = LAYER) -> None:
    from layers.catalog.layers import delete_layer, find_layer
    from layers.catalog.store import add_layer

    with psycopg.connect(bench_url(), autocommit=True) as conn, conn.transaction():
        if find_layer(conn, name=name):
            delete_layer(conn, name=name)
        start = time.perf_counter()
        layer, report = add_layer(conn, path=path, name=name, title="benchmark polygons",
                                  access_level="public", owner="bench")
        seconds = time.perf_counter() - start
    print(json.dumps({"layer": name, "table": layer.table_name, "features": layer.feature_count,
                      "repaired": report.counts.get("repaired", 0), "rejected": report.failed,
                      "load_seconds": round(seconds, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--load", type=Path, help="upload this GeoPackage into the bench database")
    parser.add_argument("--name", default=LAYER)
    args = parser.parse_args()
    if args.out:
        write(args.features, args.out, args.seed)
    if args.load:
        load(args.load, args.name)


if __name__ == "__main__":
    main()
