"""The gazetteer pre-pass and name look-ups, compiled.

``scan`` computes ``gazetteer.Scanner.tags`` over a window: longest known name first at each
position, unless a road word follows it (``road_after``). Its codes (O 0, B<level> 1 + 2·level,
I<level> 2 + 2·level) are the g/h features of the CRF and the snap rule's hits; where a name
begins it also records which name and how long (``Scanned.hits``), so a span that is exactly
that name needs no second look-up (``span_name``).

Names are found by the polynomial hash of their code points (``hashing``): only lengths some
name with the same two-character start has are tried (``Names.prefixes``), and the hash of each
shorter prefix is the longer one's with its last character taken off. A hash match is checked
character by character.
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value,arg-type"
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from address.parse.compiled.hashing import HASH_INVERSE, HASH_MULT, find, slot_of

if TYPE_CHECKING:
    from address.parse.compiled.tables import Names


class Scanned(NamedTuple):
    """A text's folded code points and its pre-pass: per position the scanner code, and where a
    name begins (an odd code), its name id · 256 + its length."""

    text: np.ndarray
    codes: np.ndarray
    hits: np.ndarray


@njit(cache=True, inline="always")
def is_space(cp: int, space: np.ndarray) -> bool:
    return cp < 0x3001 and space[cp]


@njit(cache=True)
def name_id(names: Names, cps: np.ndarray, lo: int, hi: int, skip_space: bool) -> int:
    """Id of the gazetteer name spelled by cps[lo:hi] (spaces dropped if asked), else -1."""
    space = names.space
    h = np.uint64(0)
    length = 0
    for k in range(lo, hi):
        if not (skip_space and is_space(cps[k], space)):
            h = h * np.uint64(HASH_MULT) + np.uint64(cps[k])
            length += 1
    return hashed_name(names, h, length, cps, lo, hi, skip_space) if length else -1


@njit(cache=True)
def hashed_name(names: Names, h: np.uint64, length: int, cps: np.ndarray, lo: int, hi: int,
                skip_space: bool) -> int:
    """name_id once the hash and the length (spaces dropped if asked) are known."""
    table, chars, ptr, space = names.ids, names.chars, names.ptr, names.space
    wanted = h | np.uint64(1 << 63)
    slot = slot_of(table, h)
    while table[slot, 0] and table[slot, 0] != wanted:
        slot = (slot + 1) & (len(table) - 1)
    if not table[slot, 0]:
        return -1
    nid = np.int64(table[slot, 1])
    if ptr[nid + 1] - ptr[nid] != length:
        return -1
    j = ptr[nid]
    for k in range(lo, hi):  # a hash match: check the characters
        if not (skip_space and is_space(cps[k], space)):
            if chars[j] != cps[k]:
                return -1
            j += 1
    return nid


@njit(cache=True, inline="always")
def span_name(names: Names, cps: np.ndarray, codes: np.ndarray, hits: np.ndarray, lo: int,
              hi: int, skip_space: bool) -> int:
    """name_id of cps[lo:hi], taken from the pre-pass (``Scanned``'s codes and hits) when it
    found that very name there."""
    if codes[lo] & 1 and lo + (hits[lo] & 255) == hi:
        return hits[lo] >> 8
    return name_id(names, cps, lo, hi, skip_space)


@njit(cache=True)
def road_after(cps: np.ndarray, j: int, hi: int) -> bool:
    """gazetteer._ROAD_AFTER at j: [东西南北中]?[一二…十]?(路|街|大道|大街|巷|弄|里)."""
    if j < hi and cps[j] in (0x4E1C, 0x897F, 0x5357, 0x5317, 0x4E2D):  # 东西南北中
        j += 1
    if j < hi and cps[j] in (0x4E00, 0x4E8C, 0x4E09, 0x56DB, 0x4E94, 0x516D, 0x4E03, 0x516B,
                             0x4E5D, 0x5341):  # 一二三四五六七八九十
        j += 1
    if j >= hi:
        return False
    cp = cps[j]
    if cp in (0x8DEF, 0x8857, 0x5DF7, 0x5F04, 0x91CC):  # 路街巷弄里
        return True
    return cp == 0x5927 and j + 1 < hi and cps[j + 1] in (0x9053, 0x8857)  # 大道 大街


@njit(cache=True)
def scan(names: Names, scanned: Scanned, lo: int, hi: int) -> None:
    """gazetteer.Scanner.tags over text[lo:hi] into codes[lo:hi] as scanner codes; where a name
    begins (an odd code), hits holds its name id · 256 + its length."""
    cps, out, hits = scanned.text, scanned.codes, scanned.hits
    level, prefixes, starters = names.level, names.prefixes, names.starters
    out[lo:hi] = 0
    i = lo
    while i < hi - 1:
        cp = cps[i]
        if not (starters[cp >> 6] >> np.uint64(cp & 63)) & np.uint64(1):
            i += 1  # no scanner name starts with this character
            continue
        lengths = find(prefixes, (np.int64(cp) << 21) | np.int64(cps[i + 1]))
        j = i
        while lengths >> (j - i + 1) and j < hi:  # up to the longest name with this start
            j += 1
        h = np.uint64(0)  # the hash of cps[i:j], then of each shorter prefix in turn
        for k in range(i, j):
            h = h * np.uint64(HASH_MULT) + np.uint64(cps[k])
        while j > i + 1:
            nid = -1
            if lengths >> (j - i) & 1:  # only the lengths some name with this start has
                nid = hashed_name(names, h, j - i, cps, i, j, False)
            h = (h - np.uint64(cps[j - 1])) * np.uint64(HASH_INVERSE)
            if nid >= 0 and level[nid] >= 0 and not road_after(cps, j, hi):
                out[i] = 1 + 2 * level[nid]
                hits[i] = nid << 8 | (j - i)
                out[i + 1:j] = 2 + 2 * level[nid]
                break
            j -= 1
        i = j if j > i + 1 else i + 1
