"""``dizhi serve --workers N`` (api/serve.py): a listening socket per worker, so connections
spread over the workers, and a worker that dies is replaced on its socket."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.serve import reuseport_sockets
from tests.outage import free_port

ROOT = Path(__file__).resolve().parents[2]


def _answers(base: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                return bool(reply.status == 200)
        except OSError:
            time.sleep(0.3)
    return False


def _owners(port: int) -> Counter[int]:
    """Which process holds each established connection accepted on ``port``."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", "sport", "=", f":{port}"],
                         capture_output=True, text=True, check=True).stdout
    return Counter(int(pid) for pid in re.findall(r"pid=(\d+)", out))


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "DIZHI_DATABASE_URL": database_url, "DIZHI_POOL_MIN_SIZE": "1",
           "DIZHI_POOL_MAX_SIZE": "2", "DIZHI_JOBS__IN_PROCESS_WORKER": "false"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", "serve", "--port",
         str(port), "--workers", "2", "--no-access-log"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _answers(base, time.monotonic() + 60), "dizhi serve never answered"
        yield base, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


def _connected(port: int, count: int) -> tuple[list[socket.socket], Counter[int]]:
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    deadline = time.monotonic() + 10
    while sum((owners := _owners(port)).values()) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return conns, owners


def test_each_worker_accepts_connections_of_its_own(served: tuple[str, int]) -> None:
    _, port = served
    conns, owners = _connected(port, 64)
    try:
        assert sum(owners.values()) == 64
        assert len(owners) == 2
        # hashed over two sockets: 64 connections split 32 ± 4; one shared socket gave 56/8
        assert min(owners.values()) >= 16, owners
    finally:
        for c in conns:
            c.close()


def test_a_killed_worker_is_replaced_on_its_socket(served: tuple[str, int]) -> None:
    base, port = served
    conns, owners = _connected(port, 16)
    for c in conns:
        c.close()
    victim = next(iter(owners))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the supervisor checks its workers every half second
        conns, owners = _connected(port, 16)
        for c in conns:
            c.close()
        if len(owners) == 2 and victim not in owners:
            break
        time.sleep(0.5)
    assert len(owners) == 2 and victim not in owners, owners
    assert all(_answers(base, time.monotonic() + 10) for _ in range(8))


def test_sockets_share_one_port() -> None:
    sockets = reuseport_sockets("127.0.0.1", 0, 3)
    try:
        ports = {s.getsockname()[1] for s in sockets}
        assert len(ports) == 1 and ports != {0}
        with socket.create_connection(("127.0.0.1", ports.pop()), timeout=2):
            pass
    finally:
        for s in sockets:
            s.close()
