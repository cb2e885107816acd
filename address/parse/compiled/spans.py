"""From tags to spans, with ``parse``'s two rules, compiled.

``bio_spans`` is ``corpus.spans`` (a tag equal to the open span's I- continues it; blank spans
dropped). ``snap_admin`` is ``parse._snap_admin``: an admin span that is no known name and ends
inside a gazetteer hit running into the next span is moved to the hit's end. ``emit`` writes the
spans out with ``parse._with_units`` (unit, floor and room after a building part) and collects
what the resolver reads (``resolve.Found``): admin mentions with a gazetteer name, and devzones.
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value"
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from address.parse.compiled.prepass import Scanned, is_space, scan, span_name
from address.parse.compiled.resolve import MAX_MENTIONS, Found
from address.parse.compiled.tables import ADMIN, DEVZONE, DISTRICT_OR_CITY, ROOM_AFTER, SNAP

if TYPE_CHECKING:
    from address.parse.compiled.tables import Labels, Names


class Spans(NamedTuple):
    """One text's spans: label (index into LABELS) and positions, lo inclusive, hi exclusive."""

    label: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


@njit(cache=True)
def bio_spans(text: np.ndarray, tags: np.ndarray, labels: Labels, space: np.ndarray,
              spans: Spans) -> int:
    """corpus.spans (a tag equal to the open span's I- continues it), symbols trimmed off
    the ends (parse._trimmed), blank spans dropped; returns how many."""
    tag_kind, tag_label, symbol = labels.tag_kind, labels.tag_label, labels.symbol
    label, lo, hi = spans
    n = len(text)
    k = 0
    open_label = -1
    for i in range(n + 1):
        if i < n and open_label >= 0 and tag_kind[tags[i]] == 2 and \
                tag_label[tags[i]] == open_label:
            continue
        if open_label >= 0:
            begin, end = lo[k], i
            while begin < end and symbol[text[begin]]:
                begin += 1
            while end > begin and symbol[text[end - 1]]:
                end -= 1
            for q in range(begin, end):
                if not is_space(text[q], space):
                    lo[k], hi[k] = begin, end
                    k += 1
                    break
            open_label = -1
        if i < n and tag_kind[tags[i]] != 0:
            open_label = tag_label[tags[i]]
            label[k], lo[k] = open_label, i
    return k


@njit(cache=True)
def snap_admin(names: Names, scanned: Scanned, flags: np.ndarray, spans: Spans, k: int,
               whole: bool) -> None:
    """parse._snap_admin: an admin span that is no known name and ends inside a gazetteer hit
    that runs into the next span is moved to the hit's end. ``whole``: the codes already hold
    the pre-pass over the whole text (a text of one window); otherwise it runs here if needed."""
    label, lo, hi = spans
    text, codes, hits = scanned
    for i in range(k - 1):
        if not flags[label[i]] & SNAP or \
                span_name(names, text, codes, hits, lo[i], hi[i], False) >= 0:
            continue
        if not whole:
            scan(names, scanned, 0, len(text))
            whole = True
        end = lo[i] + 1
        while end < len(text) and codes[end] > 0 and codes[end] % 2 == 0:
            end += 1
        begins = codes[lo[i]] > 0 and codes[lo[i]] % 2 == 1
        if begins and hi[i] < end < hi[i + 1] and lo[i + 1] == hi[i]:
            hi[i] = end
            lo[i + 1] = end


@njit(cache=True)
def is_room(cps: np.ndarray, lo: int, hi: int) -> bool:
    """parse._ROOM.fullmatch on cps[lo:hi] with a digit in it."""
    k = lo
    digit = False
    while k < hi:
        cp = cps[k]
        alnum = 0x30 <= cp <= 0x39 or 0x41 <= cp <= 0x5A or 0x61 <= cp <= 0x7A
        if not (alnum or (cp == 0x2D and k > lo)):
            break
        digit |= 0x30 <= cp <= 0x39
        k += 1
    if k == lo or not digit:
        return False
    rest = hi - k
    if rest == 0:
        return True
    if rest == 1:
        return cps[k] == 0x5BA4 or cps[k] == 0x623F  # 室 房
    return rest == 2 and cps[k] == 0x53F7 and cps[k + 1] == 0x623F  # 号房


@njit(cache=True)
def _alnum(cp: int) -> bool:
    return 0x30 <= cp <= 0x39 or 0x41 <= cp <= 0x5A or 0x61 <= cp <= 0x7A


@njit(cache=True)
def unit_part(cps: np.ndarray, lo: int, hi: int, floor: bool) -> int:
    """Where a unit (letters or digits, 单元) or, with ``floor``, a floor (letters or digits,
    层 or 楼) starting at ``lo`` ends; ``lo`` if there is none (parse._UNIT_PARTS)."""
    k = lo
    while k < hi and _alnum(cps[k]):
        k += 1
    if k == lo:
        return lo
    if floor:
        return k + 1 if k < hi and (cps[k] == 0x5C42 or cps[k] == 0x697C) else lo  # 层 楼
    return k + 2 if k + 1 < hi and cps[k] == 0x5355 and cps[k + 1] == 0x5143 else lo  # 单元


@njit(cache=True)
def emit(names: Names, labels: Labels, scanned: Scanned, spans: Spans, k: int, out: Spans,
         count: int, found: Found) -> tuple[int, int, int, bool]:
    """Write the spans into ``out`` from row ``count`` on, each with the unit, floor and room
    after it (parse._with_units), and collect the admin mentions with a gazetteer name and the
    devzones into ``found``. Returns (rows written so far, mentions, devzones, whether a district or
    city was labelled)."""
    flags, label_level = labels.flags, labels.level
    parts = (labels.cell, labels.floor, labels.room)
    text, codes, hits = scanned
    s_label, s_lo, s_hi = spans
    out_label, out_lo, out_hi = out
    m_level, m_name, zone_lo, zone_hi = found
    n_m, zones, district_or_city = 0, 0, False
    for i in range(k):
        label, lo, hi = s_label[i], s_lo[i], s_hi[i]
        out_label[count], out_lo[count], out_hi[count] = label, lo, hi
        count += 1
        if flags[label] & ADMIN:
            district_or_city |= flags[label] & DISTRICT_OR_CITY != 0
            nid = span_name(names, text, codes, hits, lo, hi, True)
            if nid >= 0:
                if n_m < MAX_MENTIONS:
                    m_level[n_m], m_name[n_m] = label_level[label], nid
                n_m += 1
        elif flags[label] & DEVZONE:
            zone_lo[zones], zone_hi[zones] = lo, hi
            zones += 1
        gap_end = s_lo[i + 1] if i + 1 < k else len(text)
        if not flags[label] & ROOM_AFTER or gap_end <= hi:
            continue
        cell = unit_part(text, hi, gap_end, False)
        floor = unit_part(text, cell, gap_end, True)
        if floor == gap_end or is_room(text, floor, gap_end):
            for part, a, b in ((parts[0], hi, cell), (parts[1], cell, floor),
                               (parts[2], floor, gap_end)):
                if b > a:
                    out_label[count], out_lo[count], out_hi[count] = part, a, b
                    count += 1
    return count, n_m, zones, district_or_city
