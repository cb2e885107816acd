"""Where batch work runs: in this process (``LocalEngine``) or on Ray (``RayEngine``).

Batch work (batch geocoding, building conflation, quality rules over large layers) is split by
its domain code into partitions — a row range, a strip of the district with a halo — and a
*task* ``task(worker, part)`` computes one partition's result from what the partition carries
and from ``worker.conn``. An engine maps a task over the partitions and yields the results in
partition order (as they come, for progress), so the caller merges them the same way whichever
engine ran them; with the same partitions the result is the same.

On Ray each worker is an actor that lives for the engine's ``with`` block: it runs the setup
once (the parser's tables) and opens its database connection once, on first use, then takes
partitions one after another. Ray joins the cluster at ``address`` (``DIZHI_RAY_ADDRESS``, read
by the caller) or starts a local one with ``workers`` CPUs. It sits at the bottom of the
dependency chain so every domain can take an engine; ``ray`` is imported only by ``RayEngine``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol, TypeVar

from psycopg import Connection

from address.errors import BadRequest

P = TypeVar("P")
R = TypeVar("R")
ENGINES = ("local", "ray")


@dataclass
class Worker:
    """What a task gets besides its partition: a connection of its own, opened once, and
    ``state`` a task may keep for the worker's life (the batch's look-ups already made)."""

    dsn: str | None = None
    state: dict[str, Any] = field(default_factory=dict)
    _conn: Connection | None = field(default=None, repr=False)

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            if self.dsn is None:
                raise RuntimeError("this worker has no database")
            import psycopg

            self._conn = psycopg.connect(self.dsn, autocommit=True)
        return self._conn

    def close(self) -> None:
        if self._conn is not None and self.dsn is not None:  # a lent connection stays open
            self._conn.close()
        self._conn = None


class Engine(Protocol):
    name: str
    workers: int

    def map(self, task: Callable[[Worker, P], R], parts: Iterable[P]) -> Iterator[R]: ...

    def put(self, value: Any) -> Any: ...


class LocalEngine:
    """Every partition in this process, one after another, on the caller's connection."""

    name = "local"
    workers = 1

    def __init__(self, conn: Connection | None = None) -> None:
        self._worker = Worker(_conn=conn)

    def map(self, task: Callable[[Worker, P], R], parts: Iterable[P]) -> Iterator[R]:
        return (task(self._worker, part) for part in parts)

    def put(self, value: Any) -> Any:
        return value


class _Actor:
    """The body of one Ray worker (wrapped by ``ray.remote`` in ``RayEngine``)."""

    def __init__(self, dsn: str | None, setup: Callable[[], None] | None) -> None:
        if setup is not None:
            setup()
        self.worker = Worker(dsn=dsn)

    def run(self, task: Callable[[Worker, Any], Any], part: Any) -> Any:
        import ray

        if isinstance(part, tuple):  # what ``put`` stored, fetched here (Ray does it one level up)
            part = tuple(ray.get(p) if isinstance(p, ray.ObjectRef) else p for p in part)
        return task(self.worker, part)

    def close(self) -> None:
        self.worker.close()


class RayEngine:
    """Partitions on ``workers`` Ray actors of one CPU each; results in partition order."""

    name = "ray"

    def __init__(self, *, workers: int, dsn: str | None = None, address: str | None = None,
                 setup: Callable[[], None] | None = None) -> None:
        import ray

        if workers < 1:
            raise BadRequest("workers must be 1 or more")
        self.workers = workers
        self._started = not ray.is_initialized()
        if self._started:
            ray.init(address=address, num_cpus=None if address else workers,
                     include_dashboard=False, log_to_driver=False)
        actor = ray.remote(num_cpus=1)(_Actor)
        self._actors: list[Any] = [actor.remote(dsn, setup) for _ in range(workers)]

    def map(self, task: Callable[[Worker, P], R], parts: Iterable[P]) -> Iterator[R]:
        """Partition ``i`` on actor ``i % workers``, each actor two partitions ahead of the
        results taken: an actor never waits for another's result to get its next partition
        (as with ``ActorPool``, which hands an actor back only when its result is taken), a
        caller that runs two maps over the same partitions has partition ``i`` on the same actor
        in both, and ``parts`` are read as they are sent (the caller may still be making the
        later ones). The first ones are sent at once."""
        import ray

        ahead, sent = 2 * len(self._actors), enumerate(parts)
        waiting = deque(self._actors[i % len(self._actors)].run.remote(task, part)
                        for i, part in islice(sent, ahead))

        def results() -> Iterator[R]:
            while waiting:
                done = waiting.popleft()
                for i, part in islice(sent, 1):
                    waiting.append(self._actors[i % len(self._actors)].run.remote(task, part))
                yield ray.get(done)

        return results()

    def put(self, value: Any) -> Any:
        """``value`` stored once in Ray's object store; a part (or a member of a tuple part)
        that is the handle arrives at the task as the value, without being sent again."""
        import ray

        return ray.put(value)

    def close(self) -> None:
        import ray

        ray.get([a.close.remote() for a in self._actors])
        for a in self._actors:
            ray.kill(a)
        if self._started:
            ray.shutdown()


@contextmanager
def open_engine(name: str, *, conn: Connection | None = None, dsn: str | None = None,
                workers: int = 2, address: str | None = None,
                setup: Callable[[], None] | None = None) -> Iterator[Engine]:
    """The engine called ``name`` (``local`` or ``ray``) for the block: ``local`` works on
    ``conn``, ``ray`` workers each connect to ``dsn``."""
    if name == "local":
        yield LocalEngine(conn)
        return
    if name != "ray":
        raise BadRequest(f"engine must be one of {', '.join(ENGINES)}, not {name!r}")
    engine = RayEngine(workers=workers, dsn=dsn, address=address, setup=setup)
    try:
        yield engine
    finally:
        engine.close()


def row_ranges(n: int, size: int) -> list[range]:
    """``range(n)`` cut into consecutive ranges of ``size`` rows (the last one shorter)."""
    return [range(start, min(start + size, n)) for start in range(0, n, size)]
