"""Batch work on Ray: batch geocoding and conflation's matching, in process and on 1 and 2 Ray
workers — rows per second, the scaling ratio from 1 to 2 workers, and whether the output is
the in-process one.

    nice .venv/bin/python bench/scale.py --json [--rows 1000000] [--footprints 1000000]
        [--database dizhi_bench_1m] [--repeat 3]

Geocoding: ``--rows`` texts made by a seeded script from the register (a register address,
spoiled as callers spoil it: no city, a room or another door number, hotline chatter, half the
text), the same ``geocode_batch`` in process (``LocalEngine``) and on a local Ray with
``num_cpus=2``. Outputs are compared by an MD5 over every row's output fields and reason.
Conflation: two synthetic footprint sets of ``--footprints`` each (the seeded building
generator's two degraded sources, in blocks of ``--block`` buildings laid side by side, as the
generator takes minutes per 100,000), matched by ``match_pairs(align(…))`` in process and by
``engine_pairs`` on Ray; the pairs are compared exactly. The Ray runs are repeated
(``--repeat`` rounds of 1 and 2 workers in turn) and the ratio is of each count's best run, as
``timeit`` takes the best: on this VM the same run took 16–22 s within the hour, the host's
noise and not the work. Every run is listed, and the ratio of each round.

Ray's start and its workers' start (parser tables loaded) are timed apart from the work. The
machine's load average is printed with the figures: on shared cores the ratios mean little.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from address.engine import LocalEngine, RayEngine
from address.geocode.batch import geocode_batch, output_fields, warm_parser
from api import db
from data.generate.buildings import OSM, SURVEY, degrade, generate_truth, grid_anchors
from spatial.buildings.match import Pairs, align, match_pairs
from spatial.buildings.partition import engine_pairs

DISTRICTS = ("310118",)
SEED = 16
CHATTER = ("来电反映{}门口垃圾没人清理", "请问{}怎么走", "{}附近有人乱停车",
           "投诉{}的小区物业不作为")


def batch_texts(conn: psycopg.Connection, n: int, seed: int = SEED) -> list[str]:
    """``n`` texts from the register's addresses, spoiled the seeded way (most are distinct)."""
    rng = random.Random(seed)
    register = [r[0] for r in conn.execute(
        "SELECT canonical FROM address WHERE valid_to IS NULL ORDER BY code")]
    spoil: list[Callable[[str], str]] = [
        lambda t: t, lambda t: t.removeprefix("上海市"),
        lambda t: f"{t}{rng.randint(1, 40)}0{rng.randint(1, 9)}室",
        lambda t: t.rstrip("号弄") + f"{rng.randint(1, 999)}号" if t[-1] in "号弄" else t,
        lambda t: rng.choice(CHATTER).format(t.removeprefix("上海市")),
        lambda t: t[: max(4, len(t) // 2)]]
    return [rng.choice(spoil)(rng.choice(register)) for _ in range(n)]


def digest(results: list[Any]) -> str:
    md5 = hashlib.md5()
    for r in results:
        md5.update(json.dumps([output_fields(r.best, None), r.reason], ensure_ascii=False,
                              default=str).encode())
    return md5.hexdigest()


def load() -> float:
    return round(os.getloadavg()[0], 2)


def timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    start_load, start = load(), time.perf_counter()
    result = run()
    return result, time.perf_counter() - start, max(start_load, load())


def backend_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a PostgreSQL backend on this machine (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def geocode_runs(conn: psycopg.Connection, texts: list[str], workers: list[int],
                 part_rows: int, dsn: str) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(texts)}
    cpu, backend = time.process_time(), backend_cpu_s(conn.info.backend_pid)
    results, seconds, avg = timed(lambda: geocode_batch(LocalEngine(conn), texts,
                                                        districts=DISTRICTS, part_rows=part_rows))
    cpu_s = time.process_time() - cpu + backend_cpu_s(conn.info.backend_pid) - backend
    expected = digest(results)
    del results
    out["local"] = {"seconds": round(seconds, 1), "rows_per_s": round(len(texts) / seconds),
                    "load_avg_1m": avg, "cpu_s": round(cpu_s, 1),  # this process + its backend
                    "rows_per_cpu_s": round(len(texts) / cpu_s)}
    for n in workers:
        engine, setup, _ = timed(lambda n=n: _started(RayEngine(
            workers=n, dsn=dsn, setup=warm_parser)))
        results, seconds, avg = timed(lambda e=engine: geocode_batch(
            e, texts, districts=DISTRICTS, part_rows=part_rows))
        out[f"ray_{n}"] = {"seconds": round(seconds, 1), "rows_per_s": round(len(texts) / seconds),
                           "workers_start_seconds": round(setup, 1), "load_avg_1m": avg,
                           "same_output": digest(results) == expected}
        del results
        engine.close()
    return out


def _started(engine: RayEngine) -> RayEngine:
    """The engine once every worker has run its setup (a trivial partition each)."""
    list(engine.map(_nothing, list(range(engine.workers))))
    return engine


def _nothing(worker: object, part: int) -> int:
    return part


def footprints(total: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Two synthetic sources of about ``total`` footprints each (EPSG:4549), rank 0 then 1:
    blocks of the generator's output laid side by side."""
    truth = generate_truth(grid_anchors(max(1, round(block / 9.3)), seed=SEED), seed=SEED)
    sources = [np.asarray(degrade(truth, spec, seed=SEED + k).geometry.values, dtype=object)
               for k, spec in enumerate((SURVEY, OSM))]
    x0, y0, x1, y1 = shapely.total_bounds(np.concatenate(sources))
    copies = max(1, round(total / len(sources[0])))
    side = int(np.ceil(np.sqrt(copies)))
    shifts = [((i % side) * (x1 - x0 + 200), (i // side) * (y1 - y0 + 200)) for i in range(copies)]
    geoms = np.concatenate([shapely.transform(s, lambda xy, d=d: xy + d)
                            for s in sources for d in shifts])
    rank = np.repeat([0, 1], [len(sources[0]) * copies, len(sources[1]) * copies])
    return geoms, rank.astype(np.int64)


def same_pairs(a: Pairs, b: Pairs) -> bool:
    order = np.lexsort((a.right, a.left))
    return all(np.array_equal(getattr(a, k)[order], getattr(b, k))
               for k in ("left", "right", "iou", "overlap"))


def conflation_runs(geoms: np.ndarray, rank: np.ndarray, workers: list[int],
                    repeat: int = 1) -> dict[str, Any]:
    """In process once, then ``repeat`` rounds of each Ray worker count in turn (the order
    reversed every other round, so neither count always runs first)."""
    out: dict[str, Any] = {"footprints": [int((rank == 0).sum()), int((rank == 1).sum())]}
    cpu = time.process_time()
    ref, seconds, avg = timed(lambda: match_pairs(align(geoms, rank), rank))
    out["local"] = {"seconds": round(seconds, 1), "footprints_per_s": round(len(rank) / seconds),
                    "pairs": len(ref.left), "load_avg_1m": avg,
                    "cpu_s": round(time.process_time() - cpu, 1)}
    runs: dict[int, list[dict[str, Any]]] = {n: [] for n in workers}
    for round_ in range(repeat):
        for n in workers if round_ % 2 == 0 else workers[::-1]:
            runs[n].append(ray_conflation(geoms, rank, n, ref))
    for n, done in runs.items():
        best = min(done, key=lambda r: r["seconds"])
        out[f"ray_{n}"] = {**best, "runs": done} if repeat > 1 else best
    if repeat > 1 and len(workers) == 2:
        one, two = (runs[n] for n in workers)
        out["scaling_by_round"] = [round(a["seconds"] / b["seconds"], 2)
                                   for a, b in zip(one, two, strict=True)]
    return out


def ray_conflation(geoms: np.ndarray, rank: np.ndarray, n: int, ref: Pairs) -> dict[str, Any]:
    """One ``engine_pairs`` run on ``n`` started Ray workers, checked against ``ref``."""
    engine = _started(RayEngine(workers=n))
    cpu, before = time.process_time(), _worker_cpu_s(engine)
    got, seconds, avg = timed(lambda: engine_pairs(engine, geoms, rank))
    after = _worker_cpu_s(engine)
    engine.close()
    return {"seconds": round(seconds, 1), "load_avg_1m": avg,
            "footprints_per_s": round(len(rank) / seconds),
            "driver_cpu_s": round(time.process_time() - cpu, 1),
            "worker_cpu_s": [round(after[pid] - before[pid], 1) for pid in after],
            "same_output": same_pairs(ref, got)}


def _worker_cpu_s(engine: RayEngine) -> dict[int, float]:
    """CPU seconds each Ray worker process has used so far, by its pid (a task on each:
    the pool gives its first tasks one to each idle worker)."""
    return dict(engine.map(_process_cpu_s, list(range(engine.workers))))


def _process_cpu_s(worker: object, part: int) -> tuple[int, float]:
    return os.getpid(), time.process_time()


def ratio(runs: dict[str, Any]) -> float | None:
    one, two = runs.get("ray_1"), runs.get("ray_2")
    return round(one["seconds"] / two["seconds"], 2) if one and two else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON line")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--footprints", type=int, default=1_000_000)
    parser.add_argument("--block", type=int, default=50_000, help="generated buildings a block")
    parser.add_argument("--part-rows", type=int, default=0,
                        help="rows a partition (default: a 16th of the rows, whole chunks)")
    parser.add_argument("--database", default="",
                        help="the register to geocode against (default: the configured one;"
                             " e.g. dizhi_bench_1m from bench/make_registry.py)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of conflation on 1 and 2 Ray workers (the best of each"
                             " gives the ratio; every run is listed)")
    parser.add_argument("--skip", choices=("geocode", "conflation"), action="append", default=[])
    args = parser.parse_args()
    import ray

    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_start": list(os.getloadavg())}
    start, ray_start = time.perf_counter(), 0.0
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - start
    out["ray_init_seconds"] = round(ray_start, 1)
    if "geocode" not in args.skip:
        dsn = db.database_url()
        if args.database:
            dsn = dsn.rsplit("/", 1)[0] + f"/{args.database}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            texts = batch_texts(conn, args.rows)
            part_rows = args.part_rows or max(2000, args.rows // 16 // 2000 * 2000)
            out["geocode"] = geocode_runs(conn, texts, [1, 2], part_rows, dsn)
            out["geocode"]["database"] = conn.info.dbname
            out["geocode"]["part_rows"] = part_rows
        out["geocode"]["distinct_texts"] = len(set(texts))
        out["geocode"]["scaling_1_to_2"] = ratio(out["geocode"])
    if "conflation" not in args.skip:
        geoms, rank = footprints(args.footprints, args.block)
        out["conflation"] = conflation_runs(geoms, rank, [1, 2], max(1, args.repeat))
        out["conflation"]["scaling_1_to_2"] = ratio(out["conflation"])
    out["load_avg_end"] = list(os.getloadavg())
    ray.shutdown()
    print(json.dumps(out, ensure_ascii=False) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
