"""The 3D base map: CityJSON export (cold and cached), 3D Tiles build for 100,000 synthetic
buildings, cached tile requests, schema and glTF-validator errors, buildings exported = fused.

    DIZHI_VAR_DIR=var .venv/bin/python bench/buildings_3d.py [--synthetic 100000] [--requests 200]

Runs against the database of the settings (the sample district loaded by ``make``), through the
app in-process (``TestClient``: no network). The synthetic buildings are seeded rectangles over
the district in EPSG:4549, built straight into a tileset (no database). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psycopg
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.db import database_url  # noqa: E402
from api.settings import get_settings  # noqa: E402
from spatial.buildings.cityjson_schema import schema_errors, seq_errors  # noqa: E402
from spatial.buildings.lod1 import Block  # noqa: E402
from tests.gltf import validate_glbs, validator_available  # noqa: E402
from tiles.tileset import build_tileset  # noqa: E402

X, Y = (590_000.0, 625_000.0), (3_430_000.0, 3_462_000.0)  # 青浦区 in EPSG:4549


def synthetic_blocks(count: int, seed: int = 17) -> list[Block]:
    """Seeded rectangular footprints (8–40 m sides, a tenth with a second part)."""
    rng = np.random.default_rng(seed)
    xs, ys = rng.uniform(*X, count), rng.uniform(*Y, count)
    w, d, h = rng.uniform(8, 40, count), rng.uniform(8, 25, count), rng.uniform(3, 80, count)
    blocks = []
    for i in range(count):
        parts = [shapely.box(xs[i], ys[i], xs[i] + w[i], ys[i] + d[i])]
        if i % 10 == 0:
            parts.append(shapely.box(xs[i] + w[i] + 5, ys[i], xs[i] + w[i] + 15, ys[i] + 10))
        attrs = {"height_source": "synthetic", "floors": int(h[i] // 3),
                 "addresses": [{"code": f"31011800{i:07d}", "formatted_address": f"合成路{i}号"}]}
        blocks.append(Block(i + 1, tuple(parts), 4.0, float(h[i]), attrs))
    return blocks


def _timed(call) -> tuple[float, object]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000, result


def _p50(client, url: str, n: int, headers: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(n):
        ms, response = _timed(lambda: client.get(url, headers=headers or {}))
        assert response.status_code == 200, (url, response.status_code)
        times.append(ms)
    return round(statistics.median(times), 2)


def _leaf_uris(node: dict) -> list[str]:
    found = [node["content"]["uri"]] if "content" in node else []
    for child in node.get("children", []):
        found += _leaf_uris(child)
    return found


def measure_exports(client, requests: int) -> dict[str, object]:
    gzip = {"Accept-Encoding": "gzip"}
    cold_ms, doc = _timed(lambda: client.get("/buildings/lod1.city.json").json())
    cached_ms = _p50(client, "/buildings/lod1.city.json", max(10, requests // 10), gzip)
    seq_lines = client.get("/buildings/lod1.city.jsonl").text.splitlines()
    with psycopg.connect(database_url()) as conn:
        fused = int(conn.execute("SELECT count(*) FROM building").fetchone()[0])
    exported = sum(1 for o in doc["CityObjects"].values() if o["type"] == "Building")
    return {"cityjson_export_cold_ms": round(cold_ms, 1),
            "cityjson_export_cached_p50_ms": cached_ms,
            "cityjson_schema_errors": len(schema_errors(doc)),
            "cityjsonseq_schema_errors": len(seq_errors(seq_lines)),
            "buildings_fused": fused, "buildings_exported": exported,
            "buildings_with_fallback_height": doc["metadata"]["buildingsWithFallbackHeight"]}


def measure_tiles(client, requests: int) -> dict[str, object]:
    cold_ms, response = _timed(lambda: client.get("/3dtiles/tileset.json"))
    uris = _leaf_uris(json.loads(response.content)["root"])
    glbs = {u: client.get(f"/3dtiles/{u}").content for u in uris}
    out: dict[str, object] = {
        "tileset_sample_build_ms": round(cold_ms, 1), "tileset_sample_tiles": len(uris),
        "glb_request_cached_p50_ms": _p50(client, f"/3dtiles/{uris[0]}", requests,
                                          {"Accept-Encoding": "gzip"}),
        "tileset_json_cached_p50_ms": _p50(client, "/3dtiles/tileset.json", requests)}
    var = get_settings().var_dir
    if validator_available(var):
        reports = validate_glbs(glbs, var_dir=var)
        out["gltf_validator_errors"] = sum(r["errors"] for r in reports.values())
        out["gltf_validator_warnings"] = sum(r["warnings"] for r in reports.values())
    else:
        out["gltf_validator_errors"] = None  # not installed: make node
    return out


def measure_synthetic(count: int) -> dict[str, object]:
    blocks = synthetic_blocks(count)
    ms, built = _timed(lambda: build_tileset(blocks, version="bench"))
    var = get_settings().var_dir
    sample = dict(list(built.contents.items())[:8])
    errors = (sum(r["errors"] for r in validate_glbs(sample, var_dir=var).values())
              if validator_available(var) else None)
    return {"synthetic_buildings": count, "tileset_build_s": round(ms / 1000, 2),
            "tileset_tiles": len(built.contents),
            "tileset_bytes": sum(len(v) for v in built.contents.values()),
            "synthetic_gltf_validator_errors_first_8": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        result = {**measure_exports(client, args.requests), **measure_tiles(client, args.requests)}
    result.update(measure_synthetic(args.synthetic))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
