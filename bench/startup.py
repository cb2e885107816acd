"""API start-up (issue 14): seconds from starting the server process to its first answers.

    .venv/bin/python bench/startup.py [--rounds 5] [--port 8391] [--root CHECKOUT]

Each round starts ``uvicorn api.asgi:app`` (one worker, the configured database) and polls
``/healthz`` every 20 ms from the moment the process is spawned; once it answers 200 (the
server takes requests: imports done, the pool open), it asks ``GET /geocode`` for an address of
the sample district and notes when that 200 came (the parser's tables, the gazetteer and the
rest of what a geocode needs loaded: on a thread the lifespan starts, while /healthz already
answers). Also the server's CPU seconds up to each point (user + system, from /proc: what the
figure would be on an idle machine, as other work on the machine stretches only the wall clock)
and the load average before and after. Prints JSON: best and median of each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GEOCODE = "/geocode?" + urllib.parse.urlencode({"address": "上海市青浦区华新镇华志路559号"})
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """User + system seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _first_200(url: str, start: float, timeout: float) -> float:
    """Seconds since ``start`` when ``url`` first answered 200 (polled every 20 ms)."""
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as answer:
                if answer.status == 200:
                    return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer 200 in {timeout} s")


def serve_times(root: Path = ROOT, port: int = 8391, timeout: float = 120) -> dict[str, float]:
    """One start of the API process: wall and CPU seconds to the first /healthz 200 and to the
    first /geocode 200 after it."""
    command = [sys.executable, "-m", "uvicorn", "api.asgi:app", "--port", str(port),
               "--log-level", "warning"]
    start = time.perf_counter()
    server = subprocess.Popen(command, cwd=root, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        ready = _first_200(base + "/healthz", start, timeout)
        ready_cpu = _cpu(server.pid)
        geocode = _first_200(base + GEOCODE, start, timeout)
        return {"healthz_s": ready, "healthz_cpu_s": ready_cpu, "geocode_s": geocode,
                "geocode_cpu_s": _cpu(server.pid)}
    finally:
        server.terminate()
        server.wait()


def _summary(values: list[float]) -> dict[str, float]:
    return {"best": round(min(values), 3), "median": round(statistics.median(values), 3)}


def measure(rounds: int, port: int, root: Path = ROOT) -> dict[str, Any]:
    serve_times(root, port)  # numba's cache and the stored tables exist after a first start
    before = os.getloadavg()
    runs = [serve_times(root, port) for _ in range(rounds)]
    out: dict[str, Any] = {key: _summary([r[key] for r in runs]) for key in runs[0]}
    out |= {"rounds": rounds, "load_before": before, "load_after": os.getloadavg(),
            "cpus": os.cpu_count()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=8391)
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout whose app is started (another one, to compare)")
    args = parser.parse_args()
    print(json.dumps(measure(args.rounds, args.port, args.root)))


if __name__ == "__main__":
    main()
