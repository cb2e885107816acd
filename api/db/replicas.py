"""Read replicas (``DIZHI_DATABASE_REPLICA_URLS``): pools on streaming standbys that serve the
reads a request routes to them (``api.deps.get_conn`` decides which), taken in turn, and the
primary's pool when none answers. Which caller wrote lately is kept here too, so that a caller
reads its own writes from the primary until the replicas have them.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from threading import Lock
from time import monotonic
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

# every transaction on a replica's connection is read-only, standby or not: a write that was
# routed there by mistake fails at once instead of landing on a server that is not the primary
READ_ONLY_SESSION = "-c default_transaction_read_only=on"


class ReplicaConnection(psycopg.Connection[Any]):
    """A connection to a replica; ``primary`` is the pool a read's audit row is written on."""

    primary: ConnectionPool


@contextmanager
def primary_connection(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    """``conn`` itself, or for a replica's connection one of the primary's (autocommit: a read's
    single audit row commits there at once, as it would on the read's own connection)."""
    if isinstance(conn, ReplicaConnection):
        with conn.primary.connection() as primary:
            yield primary
    else:
        yield conn


class RecentWriters:
    """Callers (an API key, or the client's address) that wrote in the last ``window_s``
    seconds, in this process."""

    LIMIT = 10_000  # past this many callers, expired ones are dropped

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._until: dict[str, float] = {}

    def wrote(self, caller: str) -> None:
        if len(self._until) > self.LIMIT:
            now = monotonic()
            self._until = {k: t for k, t in list(self._until.items()) if t > now}
        self._until[caller] = monotonic() + self.window_s

    def wrote_lately(self, caller: str) -> bool:
        return self._until.get(caller, 0.0) > monotonic()


class Replicas:
    """The replicas' pools, taken in turn; a replica whose server is away (its pool's last
    connection attempt failed) is skipped, one that keeps every connection busy longer than
    ``spill_s`` sends that read to the primary, and so does the loss of all of them."""

    def __init__(self, pools: list[Any], primary: ConnectionPool, *, spill_s: float,
                 window_s: float) -> None:
        self.pools, self.primary, self.spill_s = pools, primary, spill_s
        self.writers = RecentWriters(window_s)
        self._turn = count()
        self._lock = Lock()

    def _in_turn(self) -> list[Any]:
        with self._lock:
            start = next(self._turn) % len(self.pools)
        return self.pools[start:] + self.pools[:start]

    def _acquire(self) -> tuple[ConnectionPool, psycopg.Connection[Any]]:
        for pool in self._in_turn():
            if pool.down_since is not None:
                continue
            try:
                return pool, pool.getconn(timeout=self.spill_s)
            except (PoolTimeout, psycopg.OperationalError):
                continue
        return self.primary, self.primary.getconn()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A replica's connection (the primary's when no replica answers), as
        ``ConnectionPool.connection`` gives it: committed or rolled back, then returned."""
        pool, conn = self._acquire()
        try:
            with conn:
                yield conn
        finally:
            pool.putconn(conn)

    def close(self) -> None:
        for pool in self.pools:
            pool.close()

