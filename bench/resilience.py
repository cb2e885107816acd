"""Resilience (issue 16): schemathesis over the whole OpenAPI, and a PostgreSQL restart under a
geocode load. Prints JSON.

Both run on a throwaway cluster (``tests.outage``), never the shared one: migrated, the sample
district loaded.

- ``fuzz``: every operation, positive and negative examples, anonymous and admin
  (``--examples`` per operation, mode and caller): requests, 5xx (goal 0), schema violations.
- ``restart``: the app under uvicorn, ``--clients`` threads geocoding for ``--seconds``; the
  cluster is stopped at a third of the run and started 5 s later. Failed requests (non-200),
  503s, the slowest answer while it was down (goal < 1 s), and the time from the cluster's start
  to the first 200 (goal ≤ 5 s).

    nice .venv/bin/python bench/resilience.py [--examples 20] [--seconds 30] [--skip-fuzz]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from spatial.sample import load_sample  # noqa: E402
from tests.fuzz import fuzz  # noqa: E402
from tests.layers.builders import headers_for  # noqa: E402
from tests.outage import free_port, throwaway_cluster  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
QUERIES = ["上海市青浦区华志路1号", "青浦区盈港东路", "徐泾镇", "赵巷镇", "朱家角镇"]


def run_fuzz(url: str, examples: int) -> dict[str, Any]:
    from schemathesis.python import asgi

    with psycopg.connect(url, autocommit=True) as conn:
        callers = {"anonymous": {}, "admin": headers_for(conn, "admin")}
    start = time.monotonic()
    report = fuzz(create_app(url=url), callers=callers, max_examples=examples)
    asgi.shutdown_lifespans()
    return {**report.as_dict(), "examples": examples, "seconds": round(time.monotonic() - start)}


class Load:
    """Threads geocoding in a loop; every answer's (time, status, latency)."""

    def __init__(self, base: str, clients: int) -> None:
        self.base, self.clients = base, clients
        self.samples: list[tuple[float, int, float]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def _client(self, n: int) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as http:
            i = n
            while not self.stop.is_set():
                start = time.monotonic()
                try:
                    status = http.get("/geocode", params={"address": QUERIES[i % 5]}).status_code
                except httpx.HTTPError:
                    status = 0
                with self.lock:
                    self.samples.append((start, status, time.monotonic() - start))
                i += 1

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, args=(n,)) for n in range(self.clients)]
        for thread in threads:
            thread.start()
        return threads


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DIZHI_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.asgi:app", "--host", "127.0.0.1", "--port",
         str(port), "--log-level", "warning", "--no-access-log"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not start")


def run_restart(cluster: Any, url: str, seconds: int, clients: int) -> dict[str, Any]:
    port = free_port()
    server = _serve(url, port)
    load = Load(f"http://127.0.0.1:{port}", clients)
    try:
        threads = load.run()
        time.sleep(seconds / 3)
        stopped = time.monotonic()
        cluster.stop()
        time.sleep(5)
        cluster.start()
        started = time.monotonic()
        time.sleep(max(0.0, seconds - (started - stopped) - seconds / 3))
        load.stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(30)
    return _restart_figures(load.samples, stopped, started)


def _restart_figures(samples: list[tuple[float, int, float]], stopped: float,
                     started: float) -> dict[str, Any]:
    down = [s for s in samples if stopped <= s[0] < started]
    after = sorted(s for s in samples if s[0] >= started and s[1] == 200)
    return {
        "requests": len(samples),
        "failed": sum(1 for s in samples if s[1] != 200),
        "answered_503": sum(1 for s in samples if s[1] == 503),
        "other_failures": sum(1 for s in samples if s[1] not in (200, 503)),
        "while_down": {"requests": len(down),
                       "slowest_s": round(max((s[2] for s in down), default=0.0), 3)},
        "first_200_after_start_s": round(after[0][0] + after[0][2] - started, 3) if after else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--skip-fuzz", action="store_true")
    args = parser.parse_args()
    with throwaway_cluster() as (cluster, url):
        with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
            load_sample(conn, sample_dir=SAMPLE)
        result: dict[str, Any] = {}
        if not args.skip_fuzz:
            result["schemathesis"] = run_fuzz(url, args.examples)
        result["restart"] = run_restart(cluster, url, args.seconds, args.clients)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
