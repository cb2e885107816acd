"""Ticket ingest over HTTP (JSON out): `POST /open311/v2/requests` driven by wrk, a second process.

    .venv/bin/python bench/hotline_ingest.py [--seconds 20] [--workers 2] [--connections 16]

Serves the app with uvicorn on loopback against the configured database (the dev database by
default), files the complaint texts of tests/data/hotline_complaints.csv round-robin with a fresh
hotline key (form-encoded, as Open311 clients send them; GPS where the row has it), and counts the
tickets that key filed in the database: each one masked, geocoded, routed and stored before the
201 went back. The bench's tickets and key are deleted afterwards (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import db  # noqa: E402
from api.auth import create_key  # noqa: E402


def _bodies() -> list[str]:
    with (ROOT / "tests/data/hotline_complaints.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        form = {"service_code": row["service_code"], "description": row["text"]}
        if row["lng"]:
            form |= {"long": row["lng"], "lat": row["lat"], "coordsys": row["coordsys"]}
        out.append(urllib.parse.urlencode(form))
    return out


def _wait(port: int) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _wrk(port: int, key: str, bodies: list[str], seconds: int, connections: int,
         deferred: bool) -> str:
    prefer = "wrk.headers['Prefer'] = 'respond-async'\n" if deferred else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            "bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}\n"
            "i = 0\nwrk.method = 'POST'\n"
            "wrk.headers['Content-Type'] = 'application/x-www-form-urlencoded'\n"
            f"wrk.headers['Authorization'] = 'Bearer {key}'\n" + prefer +
            "request = function()\n  i = i % #bodies + 1\n"
            "  return wrk.format(nil, '/open311/v2/requests', nil, bodies[i])\nend\n")
    return subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                           "-s", script.name, f"http://127.0.0.1:{port}"],
                          capture_output=True, text=True, check=True).stdout


def _drain(url: str, key_id: int, timeout: float = 600) -> float:
    """When the last deferred ticket of the key got routed (monotonic clock)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM ticket WHERE key_id = %s AND rule IS NULL",
                               [key_id]).fetchone()
            if row is not None and row[0] == 0:
                return time.monotonic()
            time.sleep(0.2)
    raise TimeoutError("deferred tickets were not routed in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--deferred", action="store_true",
                        help="send `Prefer: respond-async`: stored at once, routed on a thread")
    args = parser.parse_args()
    url = db.database_url()
    with psycopg.connect(url, autocommit=True) as conn:
        key = create_key(conn, role="hotline", name="bench/hotline_ingest.py")
    env = {**os.environ, "DIZHI_DATABASE_URL": url, "DIZHI_POOL_MAX_SIZE": "8"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.asgi:app", "--host", "127.0.0.1", "--port",
         str(args.port), "--workers", str(args.workers), "--log-level", "warning",
         "--no-access-log"], env=env, cwd=ROOT)
    try:
        _wait(args.port)
        started = time.monotonic()
        out = _wrk(args.port, key.key, _bodies(), args.seconds, args.connections, args.deferred)
        elapsed = time.monotonic() - started
        drained = _drain(url, key.id) - started if args.deferred else elapsed
    finally:
        server.terminate()
        server.wait(30)
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*), count(town_code) FROM ticket WHERE key_id = %s",
                           [key.id]).fetchone()
        assert row is not None
        if not args.keep:
            conn.execute("DELETE FROM ticket WHERE key_id = %s", [key.id])
            conn.execute("DELETE FROM api_key WHERE id = %s", [key.id])
    stored, placed = row[0], row[1]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = {p: m.group(1) for p in ("50%", "99%")
               if (m := re.search(re.escape(p) + r"\s+([\d.]+\w+)", out))}
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    print(json.dumps({
        "tickets_stored": stored, "tickets_placed_in_a_town": placed,
        "stored_tickets_per_s": round(stored / elapsed, 1),
        "routed_tickets_per_s": round(stored / drained, 1), "deferred": args.deferred,
        "wrk_requests_per_s": float(rate.group(1)) if rate else None,
        "non_2xx": int(errors.group(1)) if errors else 0, "latency": latency,
        "seconds": args.seconds, "workers": args.workers, "connections": args.connections,
        "cpus": os.cpu_count()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
