"""Packaged data loaded once a process, by one thread.

``functools.cache`` lets every thread that asks before the first call has returned compute the
value again: an API process that starts under load had sixteen request threads at once each
spend a second building the gazetteer. :func:`load_once` memoizes the same way, but a thread
that asks while another computes waits for that result (cachetools' ``cached`` with a
condition).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast

from cachetools import cached

P = ParamSpec("P")
T = TypeVar("T")


def load_once(func: Callable[P, T]) -> Callable[P, T]:
    """``func`` memoized per arguments, each value computed by one thread while others wait."""
    condition = threading.Condition()
    return cast("Callable[P, T]", cached({}, lock=condition, condition=condition)(func))
