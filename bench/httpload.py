"""Load from a second process: the app under uvicorn on loopback, and wrk driving it.

Both HTTP benches (geocode_perf, hotline_ingest) start the server the same way, warm every worker
before measuring, and read the same figures out of wrk's report.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def uvicorn_server(database_url: str, port: int, workers: int,
                   warm_path: str = "/healthz", env: dict[str, str] | None = None,
                   shared_socket: bool = False) -> Iterator[str]:
    """``api.asgi:app`` with ``workers`` processes (``env`` over the environment's settings),
    started as ``dizhi serve`` starts it (api/serve.py: a socket per worker) or, with
    ``shared_socket``, as ``uvicorn --workers`` does; no access log. Yields the base URL once
    every worker has answered requests for a few seconds."""
    env = {**os.environ, "DIZHI_DATABASE_URL": database_url, "DIZHI_POOL_MAX_SIZE": "8",
           **(env or {})}
    serve = (["-m", "uvicorn", "api.asgi:app", "--workers", str(workers), "--log-level",
              "warning", "--no-access-log", "--host", "127.0.0.1", "--port", str(port)]
             if shared_socket else
             ["-c", "import sys; from api.serve import serve; serve('api.asgi:app',"
              " host='127.0.0.1', port=int(sys.argv[1]), workers=int(sys.argv[2]),"
              " log_level='warning', access_log=False)", str(port), str(workers)])
    server = subprocess.Popen([sys.executable, *serve], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        subprocess.run(["wrk", "-t2", "-c8", "-d3s", base + warm_path], capture_output=True,
                       check=True)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def wrk(base: str, lua: str, seconds: int, connections: int) -> dict[str, object]:
    """Run wrk with a Lua ``request`` script; the rate, errors and latency percentiles."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                          script.name, base], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = {p: m.group(1) for p in ("50%", "99%")
               if (m := re.search(re.escape(p) + r"\s+([\d.]+\w+)", out))}
    return {"requests_per_s": float(rate.group(1)) if rate else None,
            "non_2xx": int(errors.group(1)) if errors else 0, "latency": latency}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and all their descendants, so far."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    total = 0
    for pid in tree:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int:
    """The supervisor started by :func:`uvicorn_server` on ``port``."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"api.asgi:app" in a for a in args) and str(port).encode() in args:
            return int(cmdline.parent.name)
    raise LookupError(f"no uvicorn on port {port}")


def lua_list(name: str, items: list[str]) -> str:
    return f"{name} = {{" + ",".join(json.dumps(i, ensure_ascii=False) for i in items) + "}\n"
