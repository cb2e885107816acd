"""The workers of ``dizhi serve --workers N`` hold as many connections each, give or take one.

``SO_REUSEPORT`` spreads new connections over the workers by a hash of their addresses (api/
serve.py), evenly only on average: 64 keep-alive connections split 26/38 in one run of
bench/geocode_http.py, so one worker took 59 % of the requests and ran at 95 % of what it can
while the other ran at 65 %, and the geocode p99 at 80 % of the maximum rate was 77 ms.

Here every worker counts its open connections in a table the supervisor shares with all of them
(``Balance``). A worker that accepts a connection while it holds more than the least busy worker
passes it on, before reading a byte of it: the socket goes to that worker over a Unix socket
(``SCM_RIGHTS``), which serves it as if it had accepted it. Least connections, as a proxy's
``least_conn`` balances: a caller's keep-alive connection carries its requests, so connections
held even is load held even. A connection is passed once at most; if the other worker cannot
take it (its inbox full), the worker that accepted it keeps it. The supervisor holds every
inbox open, so what was passed to a worker that died waits there for its replacement. The
geocode tail did not move measurably with it on this VM, whose noise is larger (bench/
README.md, stop 30); a worker at 95 % of its capacity while another idles is what it removes.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

logger = logging.getLogger("uvicorn.error")


@dataclass
class Balance:
    """The connection counts of ``workers`` workers and an inbox each for passed sockets, made
    by the supervisor before it starts them (they reach each worker with its ``Process``)."""

    counts: Any  # multiprocessing.Array of "q", one slot a worker, with its lock
    inboxes: list[tuple[socket.socket, socket.socket]]  # (send end, receive end) a worker

    @classmethod
    def of(cls, workers: int) -> Balance:
        context = multiprocessing.get_context("spawn")
        inboxes = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                   for _ in range(workers)]
        for pair in inboxes:
            for end in pair:
                end.set_inheritable(True)
        return cls(context.Array("q", workers), inboxes)

    def close(self) -> None:
        for pair in self.inboxes:
            for end in pair:
                end.close()

    def take(self, me: int) -> int:
        """Where a connection accepted by worker ``me`` goes (``me``, or the least busy worker
        when ``me`` holds more), counted there."""
        with self.counts.get_lock():
            counts = self.counts.get_obj()
            least = min(range(len(counts)), key=counts.__getitem__)
            to = least if counts[me] > counts[least] else me
            counts[to] += 1
            return to

    def moved(self, source: int, target: int) -> None:
        """A connection counted on ``source`` is held by ``target`` after all."""
        with self.counts.get_lock():
            self.counts[source] -= 1
            self.counts[target] += 1

    def closed(self, me: int) -> None:
        with self.counts.get_lock():
            self.counts[me] = max(0, self.counts[me] - 1)

    def died(self, me: int) -> None:
        """Worker ``me`` died, and its connections with it: its replacement starts from none.
        (A worker replaced on SIGHUP shares its slot with its replacement until it stops: each
        counts its own connections in and out, so the slot stays right.)"""
        with self.counts.get_lock():
            self.counts[me] = 0


@dataclass
class _Worker:
    """What the balanced protocol of this process needs: set by ``serve_passed``."""

    balance: Balance
    me: int


_WORKER: _Worker | None = None


class BalancedHTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, counting connections and passing on those that belong to a
    less busy worker."""

    passed_in = False  # a connection another worker passed here: never passed again
    passed_on = False

    def connection_made(self, transport: asyncio.Transport) -> None:
        worker = _WORKER
        if worker is None:
            super().connection_made(transport)
            return
        if not self.passed_in and (to := worker.balance.take(worker.me)) != worker.me:
            if _pass(worker, transport, to):
                self.passed_on = True
                transport.abort()  # closes this process's descriptor only, unread
                return
            worker.balance.moved(to, worker.me)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.passed_on:
            return
        if _WORKER is not None:
            _WORKER.balance.closed(_WORKER.me)
        super().connection_lost(exc)


def _pass(worker: _Worker, transport: asyncio.Transport, to: int) -> bool:
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    try:
        socket.send_fds(worker.balance.inboxes[to][0], [b"c"], [sock.fileno()],
                        socket.MSG_DONTWAIT)
    except OSError as exc:
        logger.warning("could not pass a connection to worker %d: %s", to, exc)
        return False
    return True


def serve_passed(balance: Balance, me: int, protocol: Callable[[], asyncio.Protocol]) -> None:
    """From now on this process is worker ``me`` of ``balance``: it counts its connections,
    passes on those that belong elsewhere, and serves those passed to it with ``protocol`` (a
    factory of ``BalancedHTTP`` as the server makes them). Call on the server's event loop."""
    global _WORKER
    _WORKER = _Worker(balance, me)
    loop = asyncio.get_running_loop()
    inbox = balance.inboxes[me][1]
    inbox.setblocking(False)

    def passed_in() -> asyncio.Protocol:
        made = protocol()
        made.passed_in = True  # type: ignore[attr-defined]
        return made

    serving: set[asyncio.Task[None]] = set()  # held until done (the loop keeps weak references)

    def receive() -> None:  # never at end of file: this process holds a sending end itself
        while True:
            try:
                _, fds, _, _ = socket.recv_fds(inbox, 16, 1)
            except (BlockingIOError, InterruptedError):
                return
            for fd in fds:
                conn = socket.socket(fileno=fd)
                conn.setblocking(False)
                task = loop.create_task(serve(conn))
                serving.add(task)
                task.add_done_callback(serving.discard)

    async def serve(conn: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(passed_in, conn)
        except OSError as exc:  # the caller hung up while it was passed
            logger.debug("a passed connection was gone: %s", exc)
            conn.close()

    loop.add_reader(inbox.fileno(), receive)
