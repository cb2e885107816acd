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
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

# every transaction on a replica's connection is read-only, standby or not: a write that was
# routed there by mistake fails at once instead of landing on a server that is not the primary
READ_ONLY_SESSION = "-c default_transaction_read_only=on"
# how far a standby's replay is behind (seconds): 0 when it has replayed all it received (an
# idle primary sends nothing, so the time since the last replayed commit is not lag), NULL on
# a server that is not a standby (then 0)
LAG = """SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
                     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"""
LAG_EVERY_S = 1.0  # a replica's lag is measured at most this often by the reads


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


def replica_lag(conn: psycopg.Connection[Any]) -> float | None:
    """The replica's replay lag in seconds on one of its (autocommit) connections, or None
    when it does not answer."""
    try:
        row = conn.execute(LAG).fetchone()
    except psycopg.Error:
        return None
    return max(0.0, float(row[0] or 0.0)) if row else None


def pool_lag(pool: ConnectionPool, *, timeout_s: float) -> float | None:
    try:
        with pool.connection(timeout=timeout_s) as conn:
            return replica_lag(conn)
    except (PoolTimeout, psycopg.Error):
        return None


class Replicas:
    """The replicas' pools, taken in turn; a replica whose server is away (its pool's last
    connection attempt failed) or whose replay lags more than ``max_lag_s`` (0: no bound) is
    skipped, one that keeps every connection busy longer than ``spill_s`` sends that read to
    the primary, and so does the loss of all of them."""

    def __init__(self, pools: list[Any], primary: ConnectionPool, *, spill_s: float,
                 window_s: float, max_lag_s: float = 0.0) -> None:
        self.pools, self.primary, self.spill_s = pools, primary, spill_s
        self.max_lag_s = max_lag_s
        self.writers = RecentWriters(window_s)
        self._turn = count()
        self._lock = Lock()
        self._lags: dict[int, tuple[float, float | None]] = {}  # pool → (measured at, lag)

    def lag(self, index: int, *, conn: psycopg.Connection[Any] | None = None,
            fresh: bool = False) -> float | None:
        """Replica ``index``'s lag (None: unreachable), measured again (on ``conn``, one of its
        connections, else one taken from its pool) when ``fresh`` or older than
        ``LAG_EVERY_S``; one thread measures while the others use the last figure."""
        at, lag = self._lags.get(index, (float("-inf"), 0.0))
        if not fresh and monotonic() - at < LAG_EVERY_S:
            return lag
        self._lags[index] = (monotonic(), lag)  # others keep the last figure meanwhile
        pool = self.pools[index]
        lag = replica_lag(conn) if conn is not None else pool_lag(pool, timeout_s=self.spill_s)
        self._lags[index] = (monotonic(), lag)
        return lag

    def _too_far_behind(self, pool: Any, conn: psycopg.Connection[Any]) -> bool:
        if self.max_lag_s <= 0:
            return False
        lag = self.lag(self.pools.index(pool), conn=conn)
        return lag is not None and lag > self.max_lag_s

    def health(self) -> list[dict[str, Any]]:
        """Each replica: its server (no password), whether it answers, its lag, whether reads
        skip it."""
        out = []
        for index, pool in enumerate(self.pools):
            lag = self.lag(index, fresh=True)
            info = conninfo_to_dict(pool.conninfo)
            server = f"{info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
            behind = lag is not None and 0 < self.max_lag_s < lag
            out.append({"server": server, "reachable": lag is not None,
                        "lag_s": None if lag is None else round(lag, 3),
                        "serving": lag is not None and not behind})
        return out

    def _in_turn(self) -> list[Any]:
        with self._lock:
            start = next(self._turn) % len(self.pools)
        return self.pools[start:] + self.pools[:start]

    def _acquire(self) -> tuple[ConnectionPool, psycopg.Connection[Any]]:
        for pool in self._in_turn():
            if pool.down_since is not None:
                continue
            try:
                conn = pool.getconn(timeout=self.spill_s)
            except (PoolTimeout, psycopg.OperationalError):
                continue
            if not self._too_far_behind(pool, conn):
                return pool, conn
            pool.putconn(conn)
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

