"""Admin-code resolution, compiled: ``address.parse.resolve`` on bit masks.

Each admin mention (a span whose text is a gazetteer name) proposes the units of its level
carrying that name, or when there are none at its level, those of every other level
(``proposals``); a devzone with no district or city labelled proposes the district or city its
name starts with (``devzone_places``: 青浦工业园区 → 青浦). The winner is the candidate whose
chain up explains the most mentions, then contradicts the fewest, is deepest, is nearest home,
has the lowest code (``resolve``). A candidate's mentions are a bit mask, so a text holds at
most ``MAX_MENTIONS`` of them; past that the kernel answers -2 and address.parse.resolve does it.
Units are indexed in code order (``tables.Units``), so the lowest code is the lowest index.
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value"
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numba import njit

from address.parse.compiled.prepass import is_space, name_id

if TYPE_CHECKING:
    from address.parse.compiled.tables import Names, Units

MAX_MENTIONS = 64  # admin mentions per text the kernel resolves (bit masks); beyond: resolve.py


class Found(NamedTuple):
    """What a text's spans name: admin mentions (level, gazetteer name id), MAX_MENTIONS of
    them, and devzones (positions)."""

    level: np.ndarray
    name: np.ndarray
    zone_lo: np.ndarray
    zone_hi: np.ndarray


class Scratch(NamedTuple):
    """The resolver's buffers: ``mark`` (all zero between texts) maps a unit to its candidate
    number + 1, ``cand`` and ``cand_mask`` are the candidates and the mask of the mentions
    proposing each (one slot per unit); ``bits`` per mention the bit set of its units' levels;
    ``buf`` a devzone's characters without spaces."""

    mark: np.ndarray
    cand: np.ndarray
    cand_mask: np.ndarray
    bits: np.ndarray
    buf: np.ndarray


@njit(cache=True)
def devzone_places(names: Names, units: Units, text: np.ndarray, found: Found, zones: int,
                   n_m: int, scratch: Scratch) -> int:
    """resolve._devzone_place for each devzone (青浦工业园区 → district 青浦): mentions added."""
    prop_ptr, buf, space = units.prop_ptr, scratch.buf, names.space
    m_level, m_name, zone_lo, zone_hi = found
    for z in range(zones):
        size = 0
        for q in range(zone_lo[z], zone_hi[z]):
            if not is_space(text[q], space):
                buf[size] = text[q]
                size += 1
        for prefix in (4, 3, 2):
            nid = name_id(names, buf, 0, min(prefix, size), False)
            if nid < 0:
                continue
            level = -1
            if prop_ptr[nid * 5 + 2] < prop_ptr[nid * 5 + 3]:
                level = 2  # district
            elif prop_ptr[nid * 5 + 1] < prop_ptr[nid * 5 + 2]:
                level = 1  # city
            if level >= 0:
                if n_m < MAX_MENTIONS:
                    m_level[n_m], m_name[n_m] = level, nid
                n_m += 1
                break
    return n_m


@njit(cache=True)
def proposals(units: Units, found: Found, n_m: int, scratch: Scratch) -> int:
    """resolve._proposals of every mention: candidate units with the mask of the mentions
    proposing each, and per mention the bit set of its units' levels. Returns the number of
    candidates."""
    unit_level, prop_ptr, prop_units = units.level, units.prop_ptr, units.prop_units
    mark, cand, cand_mask, m_bits = scratch.mark, scratch.cand, scratch.cand_mask, scratch.bits
    m_level, m_name = found.level, found.name
    n_c = 0
    for m in range(n_m):
        base = m_name[m] * 5
        own = m_level[m]
        own_empty = prop_ptr[base + own] == prop_ptr[base + own + 1]
        bits = 0
        for level in range(5):  # its own level, or when it has none there, all the others
            if (level == own) == own_empty:
                continue
            for k in range(prop_ptr[base + level], prop_ptr[base + level + 1]):
                u = prop_units[k]
                if mark[u] == 0:
                    cand[n_c] = u
                    cand_mask[n_c] = 0
                    n_c += 1
                    mark[u] = n_c
                cand_mask[mark[u] - 1] |= np.uint64(1) << np.uint64(m)
                bits |= 1 << unit_level[u]
        m_bits[m] = bits
    return n_c


@njit(cache=True, inline="always")
def _popcount(x: np.uint64) -> int:
    count = 0
    while x:
        x &= x - np.uint64(1)
        count += 1
    return count


@njit(cache=True)
def resolve(units: Units, found: Found, n_m: int, scratch: Scratch) -> int:
    """resolve._resolve: the unit whose chain explains the most mentions, then contradicts the
    fewest, is deepest, is nearest home, has the lowest code; -1 for none. ``scratch.mark`` is
    all zero before and after."""
    parent, unit_level, home = units.parent, units.level, units.home
    mark, cand, cand_mask, m_bits = scratch.mark, scratch.cand, scratch.cand_mask, scratch.bits
    n_c = proposals(units, found, n_m, scratch)
    winner, best = -1, (0, 0, 0, 0)
    for c in range(n_c):
        mask, depth, levels = np.uint64(0), 0, 0
        u = cand[c]
        while u >= 0:  # the chain up from the candidate
            if mark[u]:
                mask |= cand_mask[mark[u] - 1]
            depth += 1
            levels |= 1 << unit_level[u]
            u = parent[u]
        contradicted = 0  # not explained, yet the chain holds another unit at each of its levels
        for m in range(n_m):
            if m_bits[m] and not (mask >> np.uint64(m)) & np.uint64(1) and \
                    (m_bits[m] & ~levels) == 0:
                contradicted += 1
        score = (_popcount(mask), -contradicted, depth, home[cand[c]])
        if winner < 0 or score > best or (score == best and cand[c] < winner):
            winner, best = cand[c], score
    for c in range(n_c):
        mark[cand[c]] = 0
    return winner
