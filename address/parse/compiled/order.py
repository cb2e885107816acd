"""The order texts are parsed in, and what a text shares with the one before.

Texts are taken in code point order (``text_order``): a text equal to the one before shares its
result (``same``), and one sharing a prefix with it keeps the Viterbi columns of that prefix
(``shared_prefix``: the state scores of a position read characters up to two to its right and
its pre-pass code, so they are equal while those are). Sorting is a multikey quicksort:
three-way partitions on one character at a time, so a shared prefix is compared once, not at
every comparison.
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value"
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from address.parse.compiled.prepass import Scanned, scan

if TYPE_CHECKING:
    from address.parse.compiled.tables import Names


@njit(cache=True, inline="always")
def _char_at(cps: np.ndarray, starts: np.ndarray, text: int, depth: int) -> int:
    """Code point ``depth`` of text ``text``; -1 past its end."""
    k = starts[text] + depth
    return np.int64(cps[k]) if k < starts[text + 1] else -1


@njit(cache=True)
def _insertion_sort(cps: np.ndarray, starts: np.ndarray, order: np.ndarray, lo: int, hi: int,
                    depth: int) -> None:
    """order[lo:hi] sorted, the texts there being equal before ``depth``."""
    for i in range(lo + 1, hi):
        x = order[i]
        j = i
        while j > lo:
            y = order[j - 1]
            d = depth
            while True:
                a, b = _char_at(cps, starts, y, d), _char_at(cps, starts, x, d)
                if a != b or a < 0:
                    break
                d += 1
            if a <= b:
                break
            order[j] = y
            j -= 1
        order[j] = x


@njit(cache=True)
def text_order(cps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The texts' indices in code point order (multikey quicksort: three-way partitions on one
    character at a time, so a shared prefix is compared once, not at every comparison)."""
    n = len(starts) - 1
    order = np.arange(n)
    stack = [(0, n, 0)]
    while stack:
        lo, hi, depth = stack.pop()
        if hi - lo < 2:
            continue
        if hi - lo <= 8:
            _insertion_sort(cps, starts, order, lo, hi, depth)
            continue
        pivot = _char_at(cps, starts, order[(lo + hi) // 2], depth)
        lt, i, gt = lo, lo, hi
        while i < gt:
            c = _char_at(cps, starts, order[i], depth)
            if c < pivot:
                order[lt], order[i] = order[i], order[lt]
                lt += 1
                i += 1
            elif c > pivot:
                gt -= 1
                order[i], order[gt] = order[gt], order[i]
            else:
                i += 1
        stack.append((lo, lt, depth))
        stack.append((gt, hi, depth))
        if pivot >= 0:
            stack.append((lt, gt, depth + 1))
    return order


@njit(cache=True, inline="always")
def same(a: np.ndarray, b: np.ndarray) -> bool:
    if len(a) != len(b):
        return False
    for k in range(len(a)):  # noqa: SIM110 (a plain loop compiles to the tightest code)
        if a[k] != b[k]:
            return False
    return True


@njit(cache=True)
def shared_prefix(names: Names, scanned: Scanned, before: np.ndarray,
                  before_codes: np.ndarray) -> int:
    """Positions whose state scores equal the previous text's: characters up to two to the
    right and the pre-pass codes must match. Scans the text into ``scanned``."""
    text, codes = scanned.text, scanned.codes
    n = len(text)
    scan(names, scanned, 0, n)
    common = 0
    limit = min(n, len(before))
    while common < limit and text[common] == before[common]:
        common += 1
    equal = 0
    while equal < common - 2 and codes[equal] == before_codes[equal]:
        equal += 1
    return equal
