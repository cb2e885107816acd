"""Within one batch, a read-only look-up asked twice is answered once.

Batch geocoding asks the register the same questions many times over: the rows of a road's
addresses by town, a place by its name, the admin areas at an address point. Inside
``batch_memo()`` the functions marked ``@memoized`` (an address's look-ups) or ``@shared`` (a
place's or an area's, which many rows reuse) keep their answers for the block (by their keyword
arguments), so a batch's results are exactly those of geocoding each text alone against
the same register; outside a block they run as written. The block belongs to the running
context (a thread, a job's chunk). A batch's memo may be kept across its blocks (``new_memo``:
a job's chunks on one worker, a Ray worker's partitions); the register may change under a long
batch, as it may between the chunks of any job, and a batch reads it as it was when first
asked.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from cachetools import LRUCache
from psycopg import Connection

R = TypeVar("R")
_MISSING = object()
ROW_ANSWERS = 20_000  # an address's answers (a text's result, a code's rows) a batch keeps
SHARED_ANSWERS = 20_000  # a place's or an area's (a register has a few thousand)


class BatchMemo:
    """One batch's answers, in two tiers so that the many answers about single addresses
    never push out the few about places and areas that later rows need again."""

    def __init__(self, rows: int = ROW_ANSWERS, shared: int = SHARED_ANSWERS) -> None:
        self.rows: LRUCache[Any, Any] = LRUCache(maxsize=rows)
        self.shared: LRUCache[Any, Any] = LRUCache(maxsize=shared)


_MEMO: ContextVar[BatchMemo | None] = ContextVar("geocode_memo", default=None)


def new_memo() -> BatchMemo:
    """A memo for one batch that outlives a block (a job's chunks, a Ray worker's partitions):
    the answers used last are kept."""
    return BatchMemo()


@contextmanager
def batch_memo(memo: BatchMemo | None = None) -> Iterator[BatchMemo]:
    """Memoized look-ups answered once each for the block: from ``memo`` (a batch's, kept
    across blocks), else the enclosing block's, else a new one; the block has it."""
    if memo is None:
        memo = _MEMO.get()
    memo = new_memo() if memo is None else memo
    token = _MEMO.set(memo)
    try:
        yield memo
    finally:
        _MEMO.reset(token)


def _frozen(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _key(fn: Callable[..., Any], keywords: dict[str, Any]) -> tuple[Any, ...]:
    fn = getattr(fn, "__wrapped__", fn)
    return (fn.__module__, fn.__qualname__, *sorted(
        (name, _frozen(value)) for name, value in keywords.items()))


def remember(fn: Callable[..., R], answer: R, **keywords: Any) -> None:
    """Store what the ``@memoized`` ``fn(conn, **keywords)`` answers (found by a query for many
    at once) in the block's memo; nothing outside a block."""
    memo = _MEMO.get()
    if memo is not None:
        memo.rows[_key(fn, keywords)] = answer


def _memoizer(tier: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(fn)
        def wrapper(conn: Connection, **keywords: Any) -> R:
            memo = _MEMO.get()
            if memo is None:
                return fn(conn, **keywords)
            answers, key = getattr(memo, tier), _key(fn, keywords)
            found = answers.get(key, _MISSING)
            if found is _MISSING:
                found = answers[key] = fn(conn, **keywords)
            return list(found) if isinstance(found, list) else found  # type: ignore[return-value]

        return wrapper

    return decorate


# ``fn(conn, **keywords)`` answered from the block's memo when it has asked it before (a list
# answer is copied, so a caller may sort or extend its own): about one address, about a place
memoized = _memoizer("rows")
shared = _memoizer("shared")
