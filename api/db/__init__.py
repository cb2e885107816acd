"""Where the database is: the embedded cluster or ``DIZHI_DATABASE_URL``; pools (the primary's,
the read replicas') and migrations.

Alembic is imported by the functions that migrate, not with the module (the API imports this
module for its pool, and Alembic is half a second of its start-up)."""

from __future__ import annotations

import asyncio
import select
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from psycopg_pool.base import AttemptWithBackoff

import migrations
from api.db.cluster import Cluster
from api.db.replicas import READ_ONLY_SESSION, ReplicaConnection, Replicas
from api.settings import Settings, get_settings

if TYPE_CHECKING:
    from alembic.config import Config


def embedded_cluster(settings: Settings | None = None) -> Cluster:
    settings = settings or get_settings()
    return Cluster(root=settings.var_dir / "pg", port=settings.database.port)


def database_url(settings: Settings | None = None, database: str | None = None) -> str:
    """The configured server, or the embedded cluster (which must be running)."""
    settings = settings or get_settings()
    if settings.database.url:
        return settings.database.url
    return embedded_cluster(settings).url(database or settings.database.name)


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def _with_keyring(config: Config) -> Config:
    from api.secret import app_keyring  # sealing existing rows needs the key (0009_pii)

    config.attributes["keyring"] = app_keyring()
    return config


def migrate(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_with_keyring(alembic_config(url)), revision)


def migrate_down(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(_with_keyring(alembic_config(url)), revision)


class _CappedBackoff(AttemptWithBackoff):
    """psycopg_pool's reconnection backoff, its delay capped: the library doubles it without a
    bound (1, 2, 4, 8, 16 s …), so after a 30 s outage the pool would come back up to 16 s after
    the server did."""

    def __init__(self, *, timeout: float, delay_max: float) -> None:
        super().__init__(timeout=timeout)
        self.delay_max = delay_max

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, self.delay_max)


READY_WAIT_S = 0.001  # the longest ResilientPool.ready waits (if the last one went meanwhile)


class ResilientPool(ConnectionPool):
    """A pool that retries a lost server at least every ``delay_max`` seconds, and tells a
    server that is away from one that is busy: a request waits up to the pool's ``timeout`` for
    a connection while the server is up (a queue under load), but only ``down_timeout`` while
    the pool's last attempt to connect failed (an outage: 503 at once, not after a hang)."""

    def __init__(self, *args: object, delay_max: float = 1.0, down_timeout: float = 0.8,
                 **kwargs: object) -> None:
        self.delay_max = delay_max
        self.down_timeout = down_timeout
        self.down_since: float | None = None
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # the requests let at the connections at once (api.deps.admitted): one a connection
        self.admission = asyncio.Semaphore(self.max_size)

    def putconn(self, conn: Any) -> None:
        """Back to the pool; a connection that served its request unbroken also says the
        server is up (a connection attempt that timed out on a busy machine had marked it
        down, and its requests answered 503 within ``down_timeout`` though the server was
        answering the others)."""
        if not conn.broken:
            self.down_since = None
        super().putconn(conn)

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            conn = super()._connect(timeout)
        except psycopg.Error:
            self.down_since = self.down_since or monotonic()
            raise
        self.down_since = None
        return conn

    def getconn(self, timeout: float | None = None) -> Any:
        """Wait in short slices, so that a wait begun before the server went away ends once
        the pool knows it is away."""
        budget = self.timeout if timeout is None else timeout
        start = monotonic()
        while True:
            limit = budget if self.down_since is None else self.down_timeout
            left = limit - (monotonic() - start)
            try:
                return super().getconn(timeout=max(0.01, min(self.down_timeout / 4, left)))
            except PoolTimeout:
                if left <= self.down_timeout / 4:  # that slice was the last one allowed
                    raise

    def ready(self) -> Any | None:
        """A connection the pool holds ready, checked, taken without waiting for one (None when
        it holds none or the one it held fails its check): what the event loop may take
        without a worker thread (``api.deps.get_conn``); anything else is ``getconn``'s.
        psycopg_pool has no call that never waits, hence its private parts."""
        if not self._pool or self.down_since is not None:
            return None
        try:
            conn = self._getconn_unchecked(READY_WAIT_S)
        except PoolTimeout:  # another thread took the last one first
            return None
        try:
            self._check_connection(conn)
        except Exception:
            self._putconn(conn, from_getconn=True)
            return None
        return conn

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        # the library's private hook: the one place a new reconnection attempt is made
        attempt = attempt or _CappedBackoff(timeout=self.reconnect_timeout,
                                            delay_max=self.delay_max)
        super()._add_connection(attempt, growing=growing)


def check_idle(conn: psycopg.Connection[Any]) -> None:
    """The pool's check before it hands a connection out, without a round trip while nothing
    says the connection is lost: an idle connection in the pool has nothing to read unless the
    server has spoken (the FATAL it sends every client when it shuts down, EOF when it is
    gone), so only then is it checked the library's way (``SELECT ''``, which raises)."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:
        ConnectionPool.check_connection(conn)


def open_pool(url: str, settings: Settings | None = None, *,
              replica_of: ConnectionPool | None = None) -> ConnectionPool:
    """The app's pool: a request waits at most ``pool_timeout_s`` for a connection (then 503;
    ``pool_down_timeout_s`` while the server is unreachable), a connection is checked before it
    is handed out (one broken by a server restart is replaced, not given to a request:
    :func:`check_idle`), and a lost server is retried every second.

    With ``replica_of`` (the primary's pool) a replica's: read-only sessions whose audit rows go
    to the primary, opened without waiting (a replica that is away must not hold up the app)."""
    settings = settings or get_settings()
    database = settings.database
    kwargs: dict[str, object] = {"autocommit": True, "connect_timeout": database.connect_timeout_s}
    extra: dict[str, object] = {}
    if replica_of is not None:
        kwargs["options"] = READ_ONLY_SESSION
        extra = {"connection_class": ReplicaConnection,
                 "configure": partial(_writes_to, primary=replica_of)}
    pool = ResilientPool(
        url,
        min_size=database.pool_min_size,
        max_size=database.pool_max_size,
        kwargs=kwargs,
        timeout=database.pool_timeout_s,
        check=check_idle,
        delay_max=database.reconnect_delay_max_s,
        down_timeout=database.pool_down_timeout_s,
        open=False,
        **extra,
    )
    pool.open(wait=replica_of is None, timeout=30)
    return pool


def _writes_to(conn: ReplicaConnection, *, primary: ConnectionPool) -> None:
    conn.primary = primary


def open_replicas(urls: list[str], primary: ConnectionPool,
                  settings: Settings | None = None) -> Replicas | None:
    """Pools on the read replicas (None without any): a read waits at most
    ``pool_down_timeout_s`` for a replica's connection before the primary serves it."""
    if not urls:
        return None
    settings = settings or get_settings()
    pools = [open_pool(url, settings, replica_of=primary) for url in urls]
    return Replicas(pools, primary, spill_s=settings.database.pool_down_timeout_s,
                    window_s=settings.database.read_your_writes_s,
                    max_lag_s=settings.database.replica_max_lag_s)
