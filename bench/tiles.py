"""Vector tiles per second: dizhi uncached, dizhi cached, and tipg on the same 1M-polygon table.

    .venv/bin/python bench/gen_polygons.py --features 1000000 --out var/bench/polygons_1m.gpkg \
        --load var/bench/polygons_1m.gpkg          # once: the layer in dizhi_bench_tiles
    .venv/bin/python bench/tiles.py --json

Three servers run as separate processes, one uvicorn worker each, on loopback ports: dizhi with
its tile cache off (uncached), dizhi with the cache on (warmed by one pass first), and tipg serving
the same table (``layers.bench_polygons__v1``). A fixed, seeded list of tiles at z10–z16 (tiles
around seeded points in the district) is fetched ``--passes`` times by ``--concurrency`` client
threads; each server gets one untimed warm-up pass so PostgreSQL's buffers are equally warm.
Also measured: OGC API items p50 for seeded 500 m bbox queries (limit 100), dizhi and tipg.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import morecantile
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = str(ROOT / ".venv" / "bin" / "python")
LNG, LAT = (120.93, 121.27), (30.98, 31.27)


def tile_list(per_zoom: int, seed: int = 11) -> list[tuple[int, int, int]]:
    """Distinct tiles z10–z16 under seeded points of the district, up to ``per_zoom`` each."""
    rng = np.random.default_rng(seed)
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles: list[tuple[int, int, int]] = []
    for z in range(10, 17):
        found: list[tuple[int, int, int]] = []
        for _ in range(2000):
            t = tms.tile(rng.uniform(*LNG), rng.uniform(*LAT), z)
            if (z, t.x, t.y) not in found:
                found.append((z, t.x, t.y))
            if len(found) == per_zoom:
                break
        tiles += found
    return tiles


def bboxes(n: int, seed: int = 13) -> list[str]:
    rng = np.random.default_rng(seed)
    half = 0.0025  # about 500 m across
    return [f"{x - half:.5f},{y - half:.5f},{x + half:.5f},{y + half:.5f}"
            for x, y in zip(rng.uniform(*LNG, n), rng.uniform(*LAT, n), strict=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(app: str, env: dict[str, str], ready_path: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [PY, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--log-level", "warning", "--no-access-log"],
        env={**os.environ, **env}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + ready_path, timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)


def fetch_all(urls: list[str], concurrency: int) -> tuple[float, list[float], list[int]]:
    """Wall seconds, per-request latencies (ms) and body sizes for all urls."""
    clients = [httpx.Client(timeout=120, headers={"Accept-Encoding": "gzip"})
               for _ in range(concurrency)]

    def one(index_url: tuple[int, str]) -> tuple[float, int]:
        index, url = index_url
        start = time.perf_counter()
        response = clients[index % concurrency].get(url)
        response.raise_for_status()
        return (time.perf_counter() - start) * 1000, len(response.content)

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, enumerate(urls)))
    wall = time.perf_counter() - start
    for client in clients:
        client.close()
    return wall, [r[0] for r in results], [r[1] for r in results]


def measure(urls: list[str], zooms: list[int], passes: int,
            concurrency: int) -> dict[str, object]:
    fetch_all(urls, concurrency)  # warm-up: PostgreSQL buffers (and the cache, when on)
    wall, latencies, sizes = fetch_all(urls * passes, concurrency)
    ordered = sorted(latencies)
    by_zoom: dict[int, list[float]] = {}
    for zoom, ms in zip(zooms * passes, latencies, strict=True):
        by_zoom.setdefault(zoom, []).append(ms)
    return {"tiles_per_s": len(latencies) / wall,
            "p50_ms": statistics.median(ordered),
            "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
            "mean_bytes": sum(sizes) / len(sizes),
            "p50_by_zoom": {z: round(statistics.median(v), 1) for z, v in sorted(by_zoom.items())}}


def p50(urls: list[str], concurrency: int = 1) -> float:
    fetch_all(urls[:5], 1)
    _, latencies, _ = fetch_all(urls, concurrency)
    return statistics.median(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description="dizhi vs tipg vector tiles")
    parser.add_argument("--json", action="store_true", help="print one JSON line (default)")
    parser.add_argument("--layer", default="bench_polygons")
    parser.add_argument("--per-zoom", type=int, default=12)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--bbox-queries", type=int, default=50)
    args = parser.parse_args()

    import psycopg
    from gen_polygons import bench_url

    from layers.catalog.layers import get_layer

    url = bench_url()
    with psycopg.connect(url) as conn:
        table = get_layer(conn, name=args.layer).table_name
    tiles = tile_list(args.per_zoom)
    paths = [f"/{z}/{x}/{y}" for z, x, y in tiles]
    zooms = [z for z, _, _ in tiles]
    boxes = bboxes(args.bbox_queries)
    ours = {"DIZHI_DATABASE_URL": url, "DIZHI_POOL_MAX_SIZE": "8"}
    result: dict[str, object] = {"layer": args.layer, "tiles": len(tiles), "zooms": "10-16",
                                 "passes": args.passes, "concurrency": args.concurrency}

    with server("api.asgi:app", {**ours, "DIZHI_TILE_CACHE_ENABLED": "false"}, "/healthz") as base:
        uncached = measure([f"{base}/tiles/{args.layer}{p}.mvt" for p in paths],
                           zooms, args.passes, args.concurrency)
        ogc = p50([f"{base}/ogc/collections/{args.layer}/items?bbox={b}&limit=100"
                   for b in boxes])
    with tempfile.TemporaryDirectory() as cache_dir, server(
        "api.asgi:app", {**ours, "DIZHI_TILE_CACHE_DIR": cache_dir}, "/healthz"
    ) as base:
        cached = measure([f"{base}/tiles/{args.layer}{p}.mvt" for p in paths],
                         zooms, args.passes, args.concurrency)
    tipg_env = {"DATABASE_URL": url, "TIPG_DB_SCHEMAS": '["layers"]',
                "TIPG_DB_TABLES": json.dumps([f"layers.{table}"]),
                "TIPG_DB_MAX_CONN_SIZE": "8"}
    collection = f"layers.{table}"
    with server("tipg.main:app", tipg_env, "/healthz") as base:
        tipg = measure([f"{base}/collections/{collection}/tiles/WebMercatorQuad{p}" for p in paths],
                       zooms, args.passes, args.concurrency)
        tipg_ogc = p50([f"{base}/collections/{collection}/items?bbox={b}&limit=100"
                        for b in boxes])

    result.update({
        "tiles_per_s_uncached": round(float(uncached["tiles_per_s"]), 1),
        "tiles_per_s_cached": round(cached["tiles_per_s"], 1),
        "tipg_tiles_per_s": round(tipg["tiles_per_s"], 1),
        "ratio_uncached_vs_tipg": round(uncached["tiles_per_s"] / tipg["tiles_per_s"], 2),
        "ratio_cached_vs_tipg": round(cached["tiles_per_s"] / tipg["tiles_per_s"], 2),
        "p50_ms_uncached": round(uncached["p50_ms"], 1),
        "p99_ms_uncached": round(uncached["p99_ms"], 1),
        "p50_ms_cached": round(cached["p50_ms"], 2),
        "p99_ms_cached": round(cached["p99_ms"], 2),
        "tipg_p50_ms": round(tipg["p50_ms"], 1),
        "tipg_p99_ms": round(tipg["p99_ms"], 1),
        "mean_tile_bytes": round(uncached["mean_bytes"]),
        "tipg_mean_tile_bytes": round(tipg["mean_bytes"]),
        "p50_ms_by_zoom_uncached": uncached["p50_by_zoom"],
        "tipg_p50_ms_by_zoom": tipg["p50_by_zoom"],
        "tipg_settings": "defaults (max_features_per_tile 10000, tile_buffer 256)",
        "ogc_items_bbox_p50_ms": round(ogc, 1),
        "tipg_ogc_items_bbox_p50_ms": round(tipg_ogc, 1),
    })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
