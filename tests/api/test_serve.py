"""``dizhi serve --workers N`` (api/serve.py): a listening socket per worker and connections
held even over the workers (api/balance.py), and a worker that dies is replaced on its socket."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.balance import Balance
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


@contextmanager
def _serving(database_url: str, workers: int, **env: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "DIZHI_DATABASE_URL": database_url, "DIZHI_POOL_MIN_SIZE": "1",
           "DIZHI_POOL_MAX_SIZE": "2", "DIZHI_JOBS__IN_PROCESS_WORKER": "false", **env}
    server = subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", "serve", "--port",
         str(port), "--workers", str(workers), "--no-access-log"], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert _answers(base, time.monotonic() + 60), "dizhi serve never answered"
        yield base, port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[str, int]]:
    with _serving(database_url, 2) as found:
        yield found


def _connected(port: int, count: int) -> tuple[list[socket.socket], Counter[int]]:
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    deadline = time.monotonic() + 10
    # != rather than <: a connection being passed to another worker is held by both a moment
    while sum((owners := _owners(port)).values()) != count and time.monotonic() < deadline:
        time.sleep(0.1)
    return conns, owners


def test_workers_hold_as_many_connections_each_and_answer_on_all(
        served: tuple[str, int]) -> None:
    """Hashed over two sockets, 64 connections split 26/38 in a bench run (one shared socket
    gave 56/8); a worker holding more than the other passes a new one on (api/balance.py)."""
    _, port = served
    for _ in range(2):  # and again once the first ones are closed and uncounted
        conns, owners = _connected(port, 64)
        try:
            assert sorted(owners.values()) == [32, 32], owners
            for c in conns:
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: dizhi\r\n\r\n")
            for c in conns:
                c.settimeout(10)
                assert c.recv(4096).startswith(b"HTTP/1.1 200 "), "a passed connection"
        finally:
            for c in conns:
                c.close()
        deadline = time.monotonic() + 10
        while _owners(port) and time.monotonic() < deadline:
            time.sleep(0.1)


def test_a_connection_goes_to_the_least_busy_worker_and_a_dead_one_starts_from_none() -> None:
    balance = Balance.of(3)
    try:
        assert [balance.take(0) for _ in range(6)] == [0, 1, 2, 0, 1, 2]
        balance.closed(1)
        assert balance.take(2) == 1 and balance.take(2) == 2  # 1 held fewer, then none does
        balance.moved(1, 0)  # worker 1 could not take one: worker 0 kept it
        assert list(balance.counts) == [3, 1, 3]
        balance.died(2)
        assert [balance.take(0) for _ in range(3)] == [2, 1, 2] and list(balance.counts) == [
            3, 2, 2]
    finally:
        balance.close()


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


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_many_more_requests_than_connections_all_answer(database_url: str) -> None:
    """80 requests at once on one worker with 2 pooled connections. Waiting for a connection on
    a worker thread each, they had taken all 40 threads, so the two requests holding the
    connections found none to run their endpoint on: every request stalled until the pool's
    timeout and most answered 503. They now queue on the event loop (``api.deps.admitted``)."""
    with _serving(database_url, 1, DIZHI_POOL_TIMEOUT_S="5") as (base, _):
        url = base + "/geocode?address=" + urllib.parse.quote("上海市青浦区华志路559号")
        start = time.monotonic()
        with ThreadPoolExecutor(80) as threads:
            statuses = Counter(threads.map(_status, [url] * 320))
        assert statuses == {200: 320}, statuses
        assert time.monotonic() - start < 30


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


def test_a_port_another_server_listens_on_is_refused() -> None:
    """Another ``dizhi serve``'s sockets have SO_REUSEPORT too: binding ours beside them would
    have split the connections between the two servers without a word."""
    theirs = reuseport_sockets("127.0.0.1", 0, 2)
    port = theirs[0].getsockname()[1]
    try:
        with pytest.raises(OSError):
            reuseport_sockets("127.0.0.1", port, 2)
        done = subprocess.run(
            [sys.executable, "-c", "from api.cli.main import main; main()", "serve", "--port",
             str(port), "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
    finally:
        for s in theirs:
            s.close()
