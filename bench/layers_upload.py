"""Time to upload a ~100 MB GeoPackage through ``POST /layers`` (read, repair, reproject, COPY,
index), against the benchmark database. Prints one JSON line.

    .venv/bin/python bench/layers_upload.py [--features 420000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_polygons import bench_url, write


def _bench_tiles():  # bench/tiles.py, whose name the ``tiles`` package shadows
    import importlib.util

    path = Path(__file__).with_name("tiles.py")
    spec = importlib.util.spec_from_file_location("bench_tiles", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


server = _bench_tiles().server  # a uvicorn process on a free port

NAME = "bench_upload"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=420_000)
    parser.add_argument("--file", type=Path, default=Path("var/bench/polygons_100mb.gpkg"))
    args = parser.parse_args()
    if not args.file.exists():
        write(args.features, args.file, seed=23)
    url = bench_url()
    from api.auth import create_key, revoke_key
    from layers.catalog.layers import delete_layer, find_layer

    with psycopg.connect(url, autocommit=True) as conn:
        if find_layer(conn, name=NAME):
            with conn.transaction():
                delete_layer(conn, name=NAME)
        key = create_key(conn, role="planner", name="bench upload")
    try:
        with server("api.asgi:app", {"DIZHI_DATABASE_URL": url}, "/healthz") as base, \
                args.file.open("rb") as handle:
            start = time.perf_counter()
            response = httpx.post(f"{base}/layers", headers={"Authorization": f"Bearer {key.key}"},
                                  data={"name": NAME, "access_level": "internal"},
                                  files={"file": (args.file.name, handle)}, timeout=1800)
            seconds = time.perf_counter() - start
        response.raise_for_status()
        layer = response.json()["layer"]
        print(json.dumps({"file_mb": round(args.file.stat().st_size / 2**20, 1),
                          "features": layer["feature_count"],
                          "upload_seconds": round(seconds, 1),
                          "features_per_s": round(layer["feature_count"] / seconds)}))
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            if find_layer(conn, name=NAME):
                with conn.transaction():
                    delete_layer(conn, name=NAME)
            revoke_key(conn, key_id=key.id)


if __name__ == "__main__":
    main()
