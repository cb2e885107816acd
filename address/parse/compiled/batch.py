"""The compiled parse of a batch: every stage, text after text.

Per text: the pre-pass (``prepass.scan``), the state scores (``features.emissions``) and
Viterbi (``viterbi.viterbi``) window by window as tagger.tag cuts them, BIO → spans with the
snap and room rules (``spans``), and the admin-code resolution (``resolve``). Texts come in
code point order (``order``): one equal to the text before shares its rows, one sharing a
prefix with it starts its Viterbi pass where they part.

The buffers are allocated once per batch and handed to the stages in named tuples
(``Tagging``, ``prepass.Scanned``, ``spans.Spans``, ``resolve.Found``, ``resolve.Scratch``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numba import njit

from address.parse.compiled.features import emissions
from address.parse.compiled.order import same, shared_prefix
from address.parse.compiled.prepass import Scanned, scan
from address.parse.compiled.resolve import MAX_MENTIONS, Found, Scratch, devzone_places, resolve
from address.parse.compiled.results import Batch
from address.parse.compiled.spans import Spans, bio_spans, emit, snap_admin
from address.parse.compiled.tables import Features, Labels, Names, Units
from address.parse.compiled.terms import Transitions
from address.parse.compiled.viterbi import viterbi

__all__ = ["Batch", "columns", "parse_all"]


class Tagging(NamedTuple):
    """Tagging's buffers: the tags of a text, and per window its character ids (two pads each
    side), state scores, Viterbi columns and best_three's scratch."""

    tags: np.ndarray
    ids: np.ndarray
    scores: np.ndarray
    hist: np.ndarray
    keys: np.ndarray


@njit(cache=True)
def tagging(longest: int, window: int, n_labels: int) -> Tagging:
    return Tagging(np.empty(longest, dtype=np.int64), np.empty(window + 4, dtype=np.int64),
                   np.empty((window, n_labels)), np.empty((window, n_labels)),
                   np.empty(n_labels + 2))


@njit(cache=True)
def tag_text(names: Names, features: Features, transitions: Transitions, char_ids: np.ndarray,
             scanned: Scanned, window: int, work: Tagging, start: int) -> None:
    """Tags of one text into ``work.tags``, window by window as tagger.tag does (features and
    pre-pass per window).

    ``start`` -1: the pre-pass is still to run. Otherwise (one window only) the codes are
    there, and positions before ``start`` still hold the scores and Viterbi columns of the text
    before, which equal this text's there.
    """
    cps, codes = scanned.text, scanned.codes
    tags, ids, scores, hist, keys = work
    n = len(cps)
    pad_left, pad_right = char_ids[0x5E], char_ids[0x24]  # ^ and $
    for lo in range(0, n, window):
        hi = min(n, lo + window)
        size = hi - lo
        if start < 0:
            scan(names, scanned, lo, hi)
        ids[0] = ids[1] = pad_left
        ids[size + 2] = ids[size + 3] = pad_right
        for k in range(lo, hi):
            ids[k - lo + 2] = char_ids[cps[k]]
        emissions(features, ids[:size + 4], codes[lo:hi], scores, max(start, 0))
        viterbi(transitions, scores[:size], tags[lo:hi], hist, keys, max(start, 0))


@njit(cache=True, inline="always")
def unpack(packed: tuple[Any, ...]) -> tuple[Features, Transitions, Names, Units, Labels,
                                              np.ndarray]:
    """``Tables.packed`` named again: (features, transitions, names, units, labels, char_ids)."""
    f, t, n, u, lb, char_ids = packed
    return Features(*f), Transitions(*t), Names(*n), Units(*u), Labels(*lb), char_ids


@njit(cache=True)
def _longest(starts: np.ndarray) -> int:
    longest = 1
    for a in range(len(starts) - 1):
        longest = max(longest, starts[a + 1] - starts[a])
    return longest


@njit(cache=True, nogil=True)
def parse_all(packed: tuple[Any, ...], cps: np.ndarray, starts: np.ndarray, order: np.ndarray,
              window: int, per_unit: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[Any, ...]:
    """Spans (rows first[i]:last[i] of labels, starts, ends) and the resolved unit of each text:
    the fields of a ``Batch``, given the tables as ``Tables.packed``.

    Texts are taken in ``order`` (sorted): one equal to the text before shares its rows, one
    sharing a prefix with it starts its Viterbi pass where they part. ``per_unit`` is the
    resolver's scratch of one slot per unit (``resolve.Scratch``: mark all zero, cand,
    cand_mask).
    """
    n_texts, total = len(starts) - 1, starts[-1]
    first_row = np.zeros(n_texts, dtype=np.int64)
    last_row = np.zeros(n_texts, dtype=np.int64)
    # a text has at most one span and one room per character
    out = Spans(np.empty(2 * total + 1, dtype=np.int8), np.empty(2 * total + 1, dtype=np.int32),
                np.empty(2 * total + 1, dtype=np.int32))
    winner = np.full(n_texts, -1, dtype=np.int32)
    longest = _longest(starts)
    spans = Spans(np.empty(longest, dtype=np.int64), np.empty(longest, dtype=np.int64),
                  np.empty(longest, dtype=np.int64))
    found = Found(np.empty(MAX_MENTIONS, dtype=np.int64), np.empty(MAX_MENTIONS, dtype=np.int64),
                  np.empty(longest, dtype=np.int64), np.empty(longest, dtype=np.int64))
    scratch = Scratch(per_unit[0], per_unit[1], per_unit[2],
                      np.empty(MAX_MENTIONS, dtype=np.int64), np.empty(longest, dtype=np.int64))
    # Each bundle taken apart here, once: reading a named tuple's field counts a reference to
    # each array in it, which in the loop would cost more than some stages.
    features, transitions, names, units, labels, char_ids = unpack(packed)
    space, flags = names.space, labels.flags
    work = tagging(longest, window, transitions.trans.shape[0])
    tags = work.tags
    codes = np.empty(longest, dtype=np.int64)
    hits = np.empty(longest, dtype=np.int64)
    before_codes = np.empty(longest, dtype=np.int64)
    count = 0
    before = cps[0:0]  # the text before, while its Viterbi columns are in the buffers
    previous = -1
    for a in order:
        text = cps[starts[a]:starts[a + 1]]
        n = len(text)
        if previous >= 0 and same(text, cps[starts[previous]:starts[previous + 1]]):
            first_row[a], last_row[a] = first_row[previous], last_row[previous]
            winner[a] = winner[previous]
            continue
        previous = a
        scanned = Scanned(text, codes, hits)
        start = -1  # the pre-pass is still to run
        if 0 < n <= window and len(before):
            start = shared_prefix(names, scanned, before, before_codes)
        tag_text(names, features, transitions, char_ids, scanned, window, work, start)
        before = text if n <= window else cps[0:0]
        before_codes[:n] = codes[:n]
        k = bio_spans(text, tags, labels, space, spans)
        snap_admin(names, scanned, flags, spans, k, n <= window)
        first_row[a] = count
        count, n_m, zones, district_or_city = emit(names, labels, scanned, spans, k, out, count,
                                                   found)
        last_row[a] = count
        if not district_or_city:
            n_m = devzone_places(names, units, text, found, zones, n_m, scratch)
        if n_m > MAX_MENTIONS:
            winner[a] = -2  # more mentions than a mask holds: resolve.py does it
        elif n_m:
            winner[a] = resolve(units, found, n_m, scratch)
    # (a plain tuple: numba makes a named tuple for Python more slowly than Python does)
    return first_row, last_row, out.label[:count], out.lo[:count], out.hi[:count], winner


@njit(cache=True)
def columns(packed: tuple[Any, ...], cps: np.ndarray, starts: np.ndarray, out: np.ndarray) -> int:
    """Viterbi columns (the forward scores before the last position) of one-window texts into
    out, as many as fit; returns how many."""
    longest = _longest(starts)
    scanned_codes = np.zeros(longest, dtype=np.int64)
    hits = np.zeros(longest, dtype=np.int64)
    features, transitions, names, _, _, char_ids = unpack(packed)
    work = tagging(longest, longest, transitions.trans.shape[0])
    count = 0
    for a in range(len(starts) - 1):
        text = cps[starts[a]:starts[a + 1]]
        n = len(text)
        if n < 2 or count + n - 1 > len(out):
            continue
        tag_text(names, features, transitions, char_ids, Scanned(text, scanned_codes, hits),
                 longest, work, -1)
        out[count:count + n - 1] = work.hist[:n - 1]
        count += n - 1
    return count
