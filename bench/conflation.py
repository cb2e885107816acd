"""Building conflation: quality on the synthetic sample district, speed at 10k and 100k.

    .venv/bin/python bench/conflation.py --json [--sizes 10000,100000] [--keep-db]

Quality (precision/recall of fused matches, height RMSE, review share) is measured on the shipped
synthetic sample (data/sample/buildings: truth around the real addresses, two degraded sources,
DSM/DEM COGs): import both sources, conflate, compute heights. Speed is ``conflate()`` end to end
(read the footprints from PostGIS, match in EPSG:4549, write buildings and lineage) on
N × N footprints from the same generator laid out on a lattice; the import is not timed (the
machine's 1-minute load average and the Python process's CPU seconds are printed next to the wall
time, as other work shares the cores). Runs in
a scratch database of the embedded cluster (``<name>_bench_bld``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from building_eval import height_rmse, precision_recall

from api import db
from data.generate.buildings import (
    OSM,
    SURVEY,
    degrade,
    generate_truth,
    grid_anchors,
    read_truth,
)
from spatial.buildings.conflate import conflate
from spatial.buildings.ingest import store_footprints
from spatial.buildings.sample import SAMPLE_SUBDIR, load_buildings_sample

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SCRATCH = "dizhi_bench_bld"


def scratch_database() -> str:
    base = db.database_url().rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SCRATCH}"')
    url = base + "/" + SCRATCH
    db.migrate(url)
    return url


def drop_database(url: str) -> None:
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


def reset(conn: psycopg.Connection) -> None:
    conn.execute("TRUNCATE building_address, building_lineage, building, building_review,"
                 " conflation_run, building_source, raster RESTART IDENTITY CASCADE")


def sample_quality(conn: psycopg.Connection) -> dict[str, float]:
    from spatial.buildings.heights import compute_heights

    with conn.transaction():
        load_buildings_sample(conn, sample_dir=SAMPLE, with_addresses=False)
    truth, truth_ids = read_truth(SAMPLE / SAMPLE_SUBDIR)
    with conn.transaction():
        counts = conflate(conn, sources=["survey", "osm"])
    compute_heights(conn)
    result: dict[str, float] = precision_recall(conn, truth_ids)
    result.update(height_rmse(conn, dict(zip(truth.truth_id.astype(str), truth.height_m,
                                             strict=True)), truth_ids))
    result["review_share"] = round(counts.get("review", 0) / max(counts["buildings"], 1), 4)
    result["sample_buildings"] = counts["buildings"]
    return result


def timed(conn: psycopg.Connection, size: int) -> dict[str, float]:
    reset(conn)
    truth = generate_truth(grid_anchors(max(1, round(size / 9.3)), seed=size), seed=size)
    frames = {spec.name: degrade(truth, spec, seed=size + k).to_crs(4326)
              for k, spec in enumerate((SURVEY, OSM))}
    with conn.transaction():
        for name, frame in frames.items():
            store_footprints(conn, frame=frame.drop(columns="truth_ids"), source=name)
    conn.execute("VACUUM ANALYZE building_source")
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    with conn.transaction():
        counts = conflate(conn, sources=["survey", "osm"])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    truth_ids = {f"{name}/{sid}": tids for name, frame in frames.items()
                 for sid, tids in zip(frame.source_id, frame.truth_ids, strict=True)}
    quality = precision_recall(conn, truth_ids)
    start = time.perf_counter()
    with conn.transaction():
        conflate(conn, sources=["survey", "osm"])
    rerun = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "python_cpu_seconds": round(cpu, 2),
            "load_avg_1m": round(load, 2), "rerun_seconds": round(rerun, 2),
            "footprints": [len(f) for f in frames.values()], "buildings": counts["buildings"],
            "precision": quality["precision"], "recall": quality["recall"],
            "review_share": round(counts.get("review", 0) / max(counts["buildings"], 1), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    url = scratch_database()
    out: dict[str, object] = {}
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            out.update(sample_quality(conn))
            for size in (int(s) for s in args.sizes.split(",")):
                run = timed(conn, size)
                label = f"{size // 1000}k"
                out[f"seconds_{label}"] = run.pop("seconds")
                out.update({f"{k}_{label}": v for k, v in run.items()})
    finally:
        if not args.keep_db:
            drop_database(url)
    print(json.dumps(out, ensure_ascii=False) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
