"""The HTTP tail of geocoding on the 1,000,000-address register (bench/make_registry.py).

`api.asgi:app` under uvicorn on loopback (``--workers`` processes), the query mix of
bench/geocode_perf.py as `GET /geocode`. First the maximum rate, closed loop (wrk, a second
process, ``--connections`` at once); then an open loop at ``--fraction`` of it: requests are
sent at a constant rate whether or not earlier ones have answered, and each latency runs from
the moment its request was due (as wrk2 does: a stalled server is not hidden by a client that
waits for it). The open-loop client is asyncio on keep-alive connections, raw HTTP/1.1, in this
process. One JSON line, with the load average of the machine at each step.

    python bench/make_registry.py --database dizhi_bench_1m
    python bench/geocode_http.py --database dizhi_bench_1m
"""

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
import urllib.parse
from collections import Counter
from typing import Any

import psycopg
from geocode_perf import query_mix  # bench/, the script's own folder
from httpload import cpu_seconds, lua_list, server_pid, uvicorn_server, wrk

from api.db import embedded_cluster

LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


async def _get(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], path: str) -> int:
    reader, writer = conn
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    found = LENGTH.search(head)
    await reader.readexactly(int(found.group(1)) if found else 0)
    return int(head[9:12])


async def open_loop(host: str, port: int, paths: list[str], rate: float, seconds: float,
                    connections: int) -> dict[str, Any]:
    """``rate`` requests a second for ``seconds``, over up to ``connections`` keep-alive
    connections (a request due while all are busy waits for one, and that wait counts)."""
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    async def one(due: float, path: str) -> None:
        conn = await idle.get()
        try:
            status = await _get(conn, path)
        except (asyncio.IncompleteReadError, ConnectionError):  # closed while idle (keep-alive)
            conn = await asyncio.open_connection(host, port)
            status = await _get(conn, path)
        statuses[status] += 1
        latencies.append(loop.time() - due)
        idle.put_nowait(conn)

    cpu, start = time.process_time(), loop.time() + 0.05
    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        if (wait := due - loop.time()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(due, paths[i % len(paths)])))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    while not idle.empty():
        idle.get_nowait()[1].close()
    return {"rate_asked": round(rate, 1), "rate_done": round(len(latencies) / elapsed, 1),
            "requests": len(latencies), "statuses": dict(statuses),
            "client_cpu_share": round((time.process_time() - cpu) / elapsed, 2),
            **latency_figures(latencies)}


def latency_figures(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {}

    def at(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(len(ms) * q))], 2)

    return {"p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99), "p999_ms": at(0.999),
            "max_ms": round(ms[-1], 2)}


def closed_loop(base: str, paths: list[str], seconds: int, connections: int) -> dict[str, Any]:
    lua = lua_list("paths", paths) + ("i = 0\nrequest = function()\n  i = i % #paths + 1\n"
                                      "  return wrk.format('GET', paths[i])\nend\n")
    return {"connections": connections, **wrk(base, lua, seconds, connections=connections)}


def backends(url: str) -> list[int]:
    """The server's connections to the database (the pools' backends)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()").fetchall()]


def measured_open_loop(url: str, port: int, paths: list[str], rate: float, seconds: float,
                       connections: int) -> dict[str, Any]:
    """The open loop, with the CPU the server's processes and their database backends spent
    per request (what the rate costs, apart from how the machine's other load delays it)."""
    server, pids = server_pid(port), backends(url)
    before = cpu_seconds([server]), cpu_seconds(pids)
    run = asyncio.run(open_loop("127.0.0.1", port, paths, rate, seconds, connections))
    spent = [after - b for after, b in zip((cpu_seconds([server]), cpu_seconds(pids)), before,
                                           strict=True)]
    n = max(run["requests"], 1)
    return {**run, "server_cpu_ms_per_request": round(spent[0] / n * 1000, 2),
            "database_cpu_ms_per_request": round(spent[1] / n * 1000, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="dizhi_bench_1m")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--connections", type=int, default=8, help="closed loop (wrk)")
    parser.add_argument("--seconds", type=int, default=20, help="each run")
    parser.add_argument("--fraction", type=float, default=0.8, help="open loop, of the maximum")
    parser.add_argument("--rate", type=float, help="open loop at this rate (no closed loop)")
    parser.add_argument("--open-connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=8098)
    parser.add_argument("--shared-socket", action="store_true",
                        help="start the workers as `uvicorn --workers` does (one listening socket"
                             " for all) instead of as `dizhi serve` does (one each)")
    args = parser.parse_args()
    url = embedded_cluster().url(args.database)
    with psycopg.connect(url, autocommit=True) as conn:
        mix = query_mix(conn, args.queries, random.Random(7))
    paths = [f"/geocode?address={urllib.parse.quote(q)}" for _, q in mix]
    result: dict[str, Any] = {"bench": "geocode_http", "database": args.database,
                              "workers": args.workers, "shared_socket": args.shared_socket,
                              "load_start": load()}
    pool = {"DIZHI_POOL_MIN_SIZE": "8", "DIZHI_POOL_MAX_SIZE": "8"}  # none opened under load
    with uvicorn_server(url, args.port, args.workers, warm_path=paths[0], env=pool,
                        shared_socket=args.shared_socket) as base:
        rate = args.rate
        if rate is None:
            result["closed_loop"] = closed_loop(base, paths, args.seconds, args.connections)
            result["load_after_closed"] = load()
            rate = args.fraction * float(result["closed_loop"]["requests_per_s"])
        result["open_loop"] = measured_open_loop(url, args.port, paths, rate, args.seconds,
                                                 args.open_connections)
        result["load_after_open"] = load()
    json.dump(result, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
