"""Ticket ingest over HTTP (JSON out): `POST /open311/v2/requests` driven by wrk, a second process.

    .venv/bin/python bench/hotline_ingest.py [--seconds 20] [--workers 2] [--connections 16]

Serves the app with uvicorn on loopback against the configured database (the dev database by
default), files the complaint texts of tests/data/hotline_complaints.csv round-robin with a fresh
hotline key (form-encoded, as Open311 clients send them; GPS where the row has it), and counts the
tickets that key filed in the database: each one masked, sealed (AES-GCM: the text and contact are
stored encrypted, always on), geocoded, routed and stored before the 201 went back. The bench's tickets and key are deleted afterwards (``--keep`` keeps them).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpload import lua_list, uvicorn_server, wrk  # noqa: E402

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


def _lua(key: str, bodies: list[str], deferred: bool) -> str:
    prefer = "wrk.headers['Prefer'] = 'respond-async'\n" if deferred else ""
    return (lua_list("bodies", bodies) + "i = 0\nwrk.method = 'POST'\n"
            "wrk.headers['Content-Type'] = 'application/x-www-form-urlencoded'\n"
            f"wrk.headers['Authorization'] = 'Bearer {key}'\n" + prefer +
            "request = function()\n  i = i % #bodies + 1\n"
            "  return wrk.format(nil, '/open311/v2/requests', nil, bodies[i])\nend\n")


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
    with uvicorn_server(url, args.port, args.workers) as base:
        started = time.monotonic()
        out = wrk(base, _lua(key.key, _bodies(), args.deferred), args.seconds, args.connections)
        elapsed = time.monotonic() - started
        drained = _drain(url, key.id) - started if args.deferred else elapsed
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*), count(town_code) FROM ticket WHERE key_id = %s",
                           [key.id]).fetchone()
        assert row is not None
        if not args.keep:
            conn.execute("DELETE FROM ticket WHERE key_id = %s", [key.id])
            conn.execute("DELETE FROM audit_log WHERE key_id = %s", [key.id])
            conn.execute("DELETE FROM api_key WHERE id = %s", [key.id])
    stored, placed = row[0], row[1]
    print(json.dumps({
        "tickets_stored": stored, "tickets_placed_in_a_town": placed,
        "stored_tickets_per_s": round(stored / elapsed, 1),
        "routed_tickets_per_s": round(stored / drained, 1), "deferred": args.deferred,
        "wrk_requests_per_s": out["requests_per_s"], "non_2xx": out["non_2xx"],
        "latency": out["latency"],
        "seconds": args.seconds, "workers": args.workers, "connections": args.connections,
        "cpus": os.cpu_count()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
