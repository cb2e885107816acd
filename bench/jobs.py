"""Durable jobs (issue 16): kill -9 of a worker half way through a large batch geocode. Prints
JSON.

Rows are drawn (seeded) from the register's active addresses of the sample district. The batch
is queued on a database cloned from the test template (``DIZHI_TEST_DATABASE``, built by a test
run; else a fresh one is migrated and loaded), two ``dizhi worker`` processes (under the bench's
own ``nice``);
when half the rows are committed the worker holding the job is killed with SIGKILL and the other
takes it back. Reported: rows, the rate before and after, the time from the kill to the next
committed chunk (``takeover_s``), the seconds lost (``takeover_s`` less the time one chunk takes
at the rate before the kill: the dead worker's uncommitted chunk), and whether every row came
out exactly once and in order.

    nice .venv/bin/python bench/jobs.py [--rows 200000] [--seed 16]
"""

import argparse
import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import db  # noqa: E402
from api.auth import Principal, create_key  # noqa: E402
from api.jobs import Queue, submit  # noqa: E402
from api.jobs.geocode_batch import result_parts  # noqa: E402
from api.settings import get_settings  # noqa: E402

BENCH_DB = "dizhi_bench_jobs"


def make_database(admin_url: str, template: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        try:
            admin.execute(f'CREATE DATABASE "{BENCH_DB}" TEMPLATE "{template}"')
            fresh = False
        except psycopg.Error:
            admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
            fresh = True
    url = admin_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    if fresh:
        from spatial.sample import load_sample

        db.migrate(url)
        with psycopg.connect(url) as conn:
            load_sample(conn, sample_dir=ROOT / "data" / "sample")
    return url


def batch_csv(conn: psycopg.Connection, rows: int, seed: int) -> bytes:
    texts = [r[0] for r in conn.execute(
        "SELECT canonical FROM address WHERE status = 'active' ORDER BY id")]
    pick = random.Random(seed).choice
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text"])
    for i in range(1, rows + 1):
        writer.writerow([i, pick(texts)])
    return out.getvalue().encode()


def start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DIZHI_DATABASE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", "worker"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def state(conn: psycopg.Connection, job_id: int) -> tuple[str, int, str | None]:
    row = conn.execute("SELECT status, done, worker FROM job WHERE id = %s", [job_id]).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def rate(samples: list[tuple[float, int]], since: float, until: float) -> float:
    inside = [s for s in samples if since <= s[0] <= until]
    if len(inside) < 2 or inside[-1][0] == inside[0][0]:
        return 0.0
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def check_rows(conn: psycopg.Connection, job_id: int, params: dict[str, Any], rows: int) -> bool:
    """Every id 1..rows exactly once, in order, in the streamed CSV result (each part after
    the header is one chunk's whole rows)."""
    parts = result_parts(conn, job_id=job_id, params=params, fmt="csv")
    next(parts)  # the header
    expected = 1
    for part in parts:
        for row in csv.reader(io.StringIO(part.decode())):
            if int(row[0]) != expected:
                return False
            expected += 1
    return expected == rows + 1


def run(rows: int, seed: int) -> dict[str, Any]:
    settings = get_settings()
    admin_url = db.embedded_cluster(settings).url("postgres")
    url = make_database(admin_url, os.environ.get("DIZHI_TEST_DATABASE", "dizhi_test"))
    workers = [start_worker(url), start_worker(url)]
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            data = batch_csv(conn, rows, seed)
            key = create_key(conn, role="admin", name="bench jobs")
            params = {"filename": "bench.csv", "coordsys": "wgs84", "encoding": "utf-8",
                      "columns": ["id", "text"], "districts": list(settings.district_codes)}
            with conn.transaction():
                job_id = submit(conn, Queue(url, settings), kind="geocode_batch", total=rows,
                                params=params, data=data,
                                principal=Principal(role="admin", key_id=key.id))
            return measure(conn, job_id, rows, params, workers, settings.jobs.chunk_rows)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def watch(conn: psycopg.Connection, job_id: int, rows: int,
          workers: list[subprocess.Popen[bytes]]) -> dict[str, Any]:
    """Poll the job until it ends; kill -9 its worker once half the rows are committed."""
    seen: dict[str, Any] = {"samples": [], "killed_at": None, "at_kill": 0, "resumed_at": None}
    while True:
        status, done, holder = state(conn, job_id)
        now = time.monotonic()
        seen["samples"].append((now, done))
        if status not in ("running", "queued"):
            return {**seen, "status": status, "end": now}
        if seen["killed_at"] is None and done >= rows // 2 and holder:
            pid = int(holder.rsplit(":", 1)[1])
            assert pid in {proc.pid for proc in workers}
            os.kill(pid, signal.SIGKILL)
            seen.update(killed_at=now, at_kill=done)
        elif seen["killed_at"] and seen["resumed_at"] is None and done > seen["at_kill"]:
            seen["resumed_at"] = now
        time.sleep(0.2)


def measure(conn: psycopg.Connection, job_id: int, rows: int, params: dict[str, Any],
            workers: list[subprocess.Popen[bytes]], chunk: int) -> dict[str, Any]:
    start = time.monotonic()
    seen = watch(conn, job_id, rows, workers)
    samples, end, killed_at, resumed_at = (seen["samples"], seen["end"], seen["killed_at"],
                                           seen["resumed_at"])
    first = next(t for t, d in samples if d > 0)
    before = rate(samples, first, killed_at or end)
    takeover = resumed_at - killed_at if killed_at and resumed_at else None
    lost = None if takeover is None or not before else max(takeover - chunk / before, 0.0)
    attempts = conn.execute("SELECT attempts FROM job WHERE id = %s", [job_id]).fetchone()
    chunks = conn.execute("SELECT count(*), sum(rows) FROM job_chunk WHERE job_id = %s",
                          [job_id]).fetchone()
    assert attempts is not None and chunks is not None
    return {
        "rows": rows, "status": seen["status"], "chunk_rows": chunk, "attempts": attempts[0],
        "seconds_total": round(end - start, 1), "seconds_to_first_chunk": round(first - start, 1),
        "rows_at_kill": seen["at_kill"], "rows_per_s_before_kill": round(before),
        "rows_per_s_after_kill": round(rate(samples, resumed_at or end, end)),
        "takeover_s": None if takeover is None else round(takeover, 1),
        "seconds_lost": None if lost is None else round(lost, 1),
        "chunks": chunks[0], "rows_committed": int(chunks[1] or 0),
        "every_row_once_in_order": check_rows(conn, job_id, params, rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.seed), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
