"""Within one batch, a read-only look-up asked twice is answered once.

Batch geocoding asks the register the same questions many times over: the rows of a road's
addresses by town, a place by its name, the admin areas at an address point. Inside
``batch_memo()`` the functions marked ``@memoized`` keep their answers for the block (by their
keyword arguments), so a batch's results are exactly those of geocoding each text alone against
the same register; outside a block they run as written. The block belongs to the running
context (a thread, a job's chunk). A batch's memo may be kept across its blocks (``new_memo``:
a job's chunks on one worker, a Ray worker's partitions); the register may change under a long
batch, as it may between the chunks of any job, and a batch reads it as it was when first
asked.
"""

import functools
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from cachetools import LRUCache
from psycopg import Connection

R = TypeVar("R")
_MISSING = object()
MEMO_SIZE = 50_000  # answers a batch keeps (tens of MB)
_MEMO: ContextVar[MutableMapping[Any, Any] | None] = ContextVar("geocode_memo", default=None)


def new_memo(size: int = MEMO_SIZE) -> MutableMapping[Any, Any]:
    """A memo for one batch that outlives a block (a job's chunks, a Ray worker's partitions):
    the ``size`` answers used last are kept."""
    return LRUCache(maxsize=size)


@contextmanager
def batch_memo(memo: MutableMapping[Any, Any] | None = None) -> Iterator[None]:
    """Memoized look-ups answered once each for the block: from ``memo`` (a batch's, kept
    across blocks), else the enclosing block's, else a new one."""
    if memo is None:
        memo = _MEMO.get()
    token = _MEMO.set(new_memo() if memo is None else memo)
    try:
        yield
    finally:
        _MEMO.reset(token)


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def memoized(fn: Callable[..., R]) -> Callable[..., R]:
    """``fn(conn, **keywords)`` answered from the block's memo when it has asked it before (a
    list answer is copied, so a caller may sort or extend its own)."""

    @functools.wraps(fn)
    def wrapper(conn: Connection, **keywords: Any) -> R:
        memo = _MEMO.get()
        if memo is None:
            return fn(conn, **keywords)
        key = (fn.__module__, fn.__qualname__, *sorted(
            (name, _frozen(value)) for name, value in keywords.items()))
        found = memo.get(key, _MISSING)
        if found is _MISSING:
            found = memo[key] = fn(conn, **keywords)
        return list(found) if isinstance(found, list) else found  # type: ignore[return-value]

    return wrapper
