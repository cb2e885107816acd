"""crfsuite's Viterbi, compiled, with a bound that skips most sources.

Forward, each label needs only the best score over its sources, not which source: the backward
pass (``backtrack``) finds the source for the one label per position on the path, from the kept
columns. The forward max writes trans[i, j] = r[i] + (trans[i, j] - r[i]): but for the two
sources with the largest trans[i, j] - r[i] into j ("strong"), that rest is at most
bound_add[j] (``terms.split_transitions``). Scoring the two best sources by delta + r
(``best_three``) and the strong sources, any other source reaches at most (third-best delta + r)
+ bound_add[j]; only a label where that bound is not beaten is maxed over all 37 sources. The
first pass has no branches, so it runs at the processor's full width. Any r is exact; the
shipped one (``terms.fit_source_terms``, on training text) leaves a full max in about one step
in seven.

Floating-point sums run in another order than crfsuite's; bench/parse_speed.py and the tests
compare every result with ``parse_reference``.
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value"
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

import address.parse.compiled.cache  # noqa: F401 (before any cache=True: see there)

if TYPE_CHECKING:
    from address.parse.compiled.terms import Transitions


@njit(cache=True, inline="always")
def _insert(x: float, t1: float, t2: float, t3: float) -> tuple[float, float, float]:
    """x into the three largest so far, t1 >= t2 >= t3: max and min only, so no branches."""
    h1, x1 = (t1, x) if t1 > x else (x, t1)
    h2, x2 = (t2, x1) if t2 > x1 else (x1, t2)
    return h1, h2, t3 if t3 > x2 else x2


@njit(cache=True, inline="always")
def best_three(delta: np.ndarray, r: np.ndarray, keys: np.ndarray) -> tuple[int, int, float]:
    """The two sources with the highest delta + r, and a bound on delta + r of every other.

    Each value carries its source in the six low bits of its mantissa (``keys``' integer view),
    so keeping the three largest needs no comparison that branches, and the values stay
    distinct. The marks move a value by under 2**-46 of itself (a few units of 2**-1074 near
    zero): the bound is the third key raised by 2**-45 of its size and by 1e-300.
    """
    n = len(delta)
    marks = keys.view(np.int64)
    for i in range(n):
        keys[i] = delta[i] + r[i]
    for i in range(n):
        marks[i] = (marks[i] & ~np.int64(63)) | i
    a1 = a2 = a3 = b1 = b2 = b3 = -np.inf
    for i in range(0, n - 1, 2):  # two independent chains
        a1, a2, a3 = _insert(keys[i], a1, a2, a3)
        b1, b2, b3 = _insert(keys[i + 1], b1, b2, b3)
    if n & 1:
        a1, a2, a3 = _insert(keys[n - 1], a1, a2, a3)
    for x in (b1, b2, b3):
        a1, a2, a3 = _insert(x, a1, a2, a3)
    keys[n], keys[n + 1] = a1, a2
    return marks[n] & 63, marks[n + 1] & 63, a3 + abs(a3) * 2.0 ** -45 + 1e-300


@njit(cache=True)
def viterbi(tr: Transitions, scores: np.ndarray, path: np.ndarray, hist: np.ndarray,
            keys: np.ndarray, start: int) -> None:
    """crfsuite's Viterbi over scores (n, L) into path (no start/end transitions; ties → lower).

    Columns before ``start`` are the text before's, equal to this one's (``hist``); ``keys`` is
    best_three's scratch (L + 2).
    """
    trans, r, bound_add = tr.trans, tr.r, tr.bound_add
    strong0, strong1, strong0_trans, strong1_trans = \
        tr.strong0, tr.strong1, tr.strong0_trans, tr.strong1_trans
    n, n_labels = scores.shape
    shared = start
    if start == 0:
        hist[0, :] = scores[0]
        start = 1
    for t in range(start, n):
        delta, nxt = hist[t - 1], hist[t]
        u1, u2, bound = best_three(delta, r, keys)  # bound: on delta + r of the others
        d1, d2, from1, from2 = delta[u1], delta[u2], trans[u1], trans[u2]
        unsure = 0
        for j in range(n_labels):
            a, b = d1 + from1[j], d2 + from2[j]
            x, y = delta[strong0[j]] + strong0_trans[j], delta[strong1[j]] + strong1_trans[j]
            a = a if a > b else b
            x = x if x > y else y
            best = a if a > x else x
            nxt[j] = best
            unsure += not best > bound + bound_add[j]
        if unsure:
            for j in range(n_labels):
                if not nxt[j] > bound + bound_add[j]:
                    best = nxt[j]
                    for i in range(n_labels):
                        v = delta[i] + trans[i, j]
                        best = best if best > v else v
                    nxt[j] = best
        for j in range(n_labels):
            nxt[j] += scores[t, j]
    backtrack(trans, hist[:n], path, shared)


@njit(cache=True)
def backtrack(trans: np.ndarray, hist: np.ndarray, path: np.ndarray, shared: int) -> None:
    """The path, back from the best last label. Before ``shared`` the columns, and in ``path``
    the labels, are the text before's: once the path meets its label there, the rest is its."""
    n, n_labels = hist.shape
    label = 0
    for j in range(1, n_labels):
        if hist[n - 1, j] > hist[n - 1, label]:
            label = j
    path[n - 1] = label
    for t in range(n - 1, 0, -1):
        best, arg = hist[t - 1, 0] + trans[0, label], 0
        for i in range(1, n_labels):
            v = hist[t - 1, i] + trans[i, label]
            arg = i if v > best else arg
            best = v if v > best else best
        label = arg
        if t - 1 < shared and path[t - 1] == label:
            break
        path[t - 1] = label
