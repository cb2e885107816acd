"""The CRF's state scores (emissions) of one window, compiled.

Per position the five one-character templates read five dense rows (``Features.dense``: the
characters at offsets -2 … +2, offset 0 under its pre-pass code, which folds in the g and h
templates), summed as vectors; the templates over two or three characters are one hash look-up
each (``hashing.find``) whose value points at a sparse (label, weight) row, added label by
label (``add_row``). One look-up of a pair of characters serves both b/B at this position and
c/C at the one before. The look-ups are issued before the dense sum, so their memory reads
overlap with it, and the next position's slots are prefetched meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from address.parse.compiled.hashing import find, prefetch, slot_of
from address.parse.compiled.tables import BITS

if TYPE_CHECKING:
    from address.parse.compiled.tables import Features


@njit(cache=True, inline="always")
def add_row(weights: np.ndarray, row: int, into: np.ndarray) -> None:
    if row:
        start = (row - 1) >> 6
        for k in range(start, start + ((row - 1) & 63)):
            into[np.int64(weights[k, 0])] += weights[k, 1]


@njit(cache=True)
def emissions(features: Features, ids: np.ndarray, codes: np.ndarray, out: np.ndarray,
              start: int) -> None:
    """State scores of one window into out[start:n]; ids are its character ids, two pads each
    side."""
    dense, pairs, skip, tri, weights = features
    n = len(ids) - 4
    after = find(pairs, (ids[start + 1] << BITS) | ids[start + 2])  # (c-1, c0) at start
    for t in range(start, n):
        s = out[t]
        c = t + 2
        # The look-ups first: their memory reads then overlap with the dense sum.
        before, after = after, find(pairs, (ids[c] << BITS) | ids[c + 1])
        skipped = find(skip, (ids[c - 1] << BITS) | ids[c + 1])
        trigram = find(tri, (ids[c - 1] << 2 * BITS) | (ids[c] << BITS) | ids[c + 1])
        # The next position's slots, on their way into cache meanwhile (past the end: pads).
        prefetch(pairs[slot_of(pairs, (ids[c + 1] << BITS) | ids[c + 2])], 0)
        prefetch(skip[slot_of(skip, (ids[c] << BITS) | ids[c + 2])], 0)
        prefetch(tri[slot_of(tri, (ids[c] << 2 * BITS) | (ids[c + 1] << BITS) | ids[c + 2])], 0)
        q, p, o, nx, m = dense[ids[c - 2], 0], dense[ids[c - 1], 1], dense[ids[c], 4 + codes[t]], \
            dense[ids[c + 1], 2], dense[ids[c + 2], 3]
        for j in range(len(s)):
            s[j] = q[j] + p[j] + o[j] + nx[j] + m[j]
        add_row(weights, before & 0xFFFFFFFF, s)  # b/B: the pair (c-1, c0)
        add_row(weights, after >> 32, s)  # c/C: the pair (c0, c+1), next position's (c-1, c0)
        add_row(weights, skipped, s)
        add_row(weights, trigram, s)
