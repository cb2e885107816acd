"""The rules after the tagger that the compiled kernel does not run, the same for
``parse_reference`` and for the kernel's answers (one text or a batch): admin chains written
short (address.parse.prefix) and the town a road of the district's gazetteer gives
(address.parse.roads via resolve.town_by_road). They read the text's resolved codes and give
the code the text then names; the kernel's side turns it into a unit of its tables, so neither
side reads the full gazetteer for them.

Batches stay fast: only texts a vectorised test picks are looked at in Python (those where a
whole admin name, inside the division the leading admin spans name, follows them; those with
no town, resolved nowhere or above the gazetteer's towns, and a road span that may name one of
its roads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from address.parse import roads
from address.parse.codes import Row, admin_mentions, parse_fold, unit_codes
from address.parse.gazetteer import LEVELS
from address.parse.prefix import (
    Pick,
    candidates,
    child_names,
    child_starts,
    name_hash,
    read_chain,
    span_hashes,
)
from address.parse.resolve import RESOLVABLE, town_by_road
from address.parse.tagger import LABELS
from address.text.normalize import fold

if TYPE_CHECKING:
    from address.parse.compiled.run import Batch, Tables

_ROAD = LABELS.index("road")
_ROADS = frozenset({"road"})
# by the tables' id (they are not hashable): tables, code → unit, road_may_tell, pick
_UNITS: dict[int, tuple[Tables, dict[str, int], Any, Pick | None]] = {}


def apply(folded: str, rows: Sequence[Row], codes: dict[str, str],
          chain_of: Callable[[str], dict[str, str]]) -> tuple[list[Row], str] | None:
    """The rows and the code the text names after the rules, or None when no rule changes
    anything. ``codes``: the text's resolved codes; ``chain_of``: a code's codes."""
    out, code = list(rows), None
    if (chain := read_chain(folded, rows, codes)) is not None:
        out, code = chain
        codes = chain_of(code)
    if "town" not in codes and any(label == _ROAD for label, _, _ in out):
        roads = [name for _, name in admin_mentions(folded, [("road", start, end)
                                                             for label, start, end in out
                                                             if label == _ROAD], _ROADS)]
        elsewhere = any(LABELS[label] in RESOLVABLE for label, _, _ in out)
        code = town_by_road(codes, roads, elsewhere) or code
    return None if code is None else (out, code)


class _Units:
    """A code's unit in the kernel's tables, and its codes (per Tables, made on first use)."""

    def __init__(self, tb: Tables) -> None:
        found = _UNITS.get(id(tb))
        if found is None or found[0] is not tb:
            areas = roads.areas()
            may = np.array([code in areas and len(code) < 9 for code in tb.unit_codes] + [True])
            found = _UNITS[id(tb)] = (tb, {c: i for i, c in enumerate(tb.unit_codes)}, may,
                                      None)
        self.tb, self.index = found[0], found[1]
        self.road_may_tell: Any = found[2]

    def pick(self) -> Pick:
        """prefix.candidates' view of the tables (made on first use)."""
        tb, index, may, pick = _UNITS[id(self.tb)]
        if pick is None:
            u = tb.arrays.units
            label_level = np.array([LEVELS.index(lb) if lb in LEVELS else -1 for lb in LABELS])
            pick = Pick(u.parent, u.level, label_level, child_starts(index),
                        child_names(index))
            _UNITS[id(tb)] = (tb, index, may, pick)
        return pick

    def chain_of(self, code: str) -> dict[str, str]:
        return self.tb.chain_codes(self.index[code])


def one(text: str, rows: Sequence[Row], unit: int, tb: Tables) -> tuple[tuple[Row, ...], int]:
    """The rules on one text's kernel rows and unit."""
    units = _Units(tb)
    done = apply(parse_fold(text), rows, unit_codes(unit, text, rows, tb), units.chain_of)
    return (tuple(rows), unit) if done is None else (tuple(done[0]), units.index[done[1]])


def _rows(spans: Batch, i: int) -> list[Row]:
    lo, hi = spans.first[i], spans.last[i]
    return list(zip(spans.labels[lo:hi].tolist(), spans.starts[lo:hi].tolist(),
                    spans.ends[lo:hi].tolist(), strict=True))


def _picked(texts: list[str], spans: Batch, units: _Units) -> np.ndarray:
    """The texts a rule may change (see the module)."""
    cps = np.frombuffer(fold("".join(texts)).encode("utf-32-le", "surrogatepass"),
                        dtype=np.uint32)
    at_text = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=at_text[1:])
    from address.parse.compiled.run import fold_numbers

    parse_cps = cps.copy()
    fold_numbers(texts, parse_cps, at_text)  # codes.parse_fold of each text
    chains = candidates(cps, at_text, spans, units.pick(), parse_cps)
    has_road = np.concatenate([[0], np.cumsum(spans.labels == _ROAD)])
    may = units.road_may_tell[spans.units] & (has_road[spans.last] > has_road[spans.first])
    if may.any():
        may &= _known_road(parse_cps, at_text, spans)
    may[chains] = True  # (np.union1d would load numpy.ma: 12 ms of a one-line parse)
    return np.flatnonzero(may)


def _known_road(parse_cps: np.ndarray, at_text: np.ndarray, spans: Batch) -> np.ndarray:
    """Per text: a road span of it may name a road of roads.towns() (town_by_road finds
    nothing otherwise): its name as admin_mentions reads it (fold once more) hashes to one of
    theirs, or it holds a space (which that name drops)."""
    from address.parse.compiled.results import occurrences

    folded = fold(parse_cps.tobytes().decode("utf-32-le", "surrogatepass"))
    cps = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    row, lo, hi = occurrences(spans, at_text)
    road = np.flatnonzero(spans.labels[row] == _ROAD)
    flag = np.zeros(len(row), dtype=bool)
    if len(road):
        flag[road] = span_hashes(cps, lo[road], hi[road], _road_hashes(), _SPACE_BELOW)
    counts = spans.last - spans.first
    seen = np.concatenate([[0], np.cumsum(flag)])
    end = np.cumsum(counts)
    return seen[end] > seen[end - counts]


@cache
def _road_hashes() -> np.ndarray:
    return np.array(sorted({name_hash(name) for name in roads.towns()}), dtype=np.uint64)


_SPACE_BELOW = np.array([chr(cp).isspace() for cp in range(0x3001)], dtype=bool)


def batch(texts: list[str], spans: Batch, tb: Tables) -> Batch:
    """The rules on a kernel batch: rewritten rows appended, the texts' units changed."""
    units = _Units(tb)
    first, last, unit = spans.first.copy(), spans.last.copy(), spans.units.copy()
    count, added = len(spans.labels), []
    for i in _picked(texts, spans, units).tolist():
        rows = _rows(spans, i)
        done = apply(parse_fold(texts[i]), rows, unit_codes(int(unit[i]), texts[i], rows, tb),
                     units.chain_of)
        if done is None:
            continue
        unit[i] = units.index[done[1]]
        if done[0] != rows:
            first[i], last[i] = count, count + len(done[0])
            count += len(done[0])
            added += done[0]
    if not added:
        return spans._replace(units=unit)
    new = np.array(added, dtype=np.int64).reshape(-1, 3)
    labels, starts, ends = (np.concatenate([old, new[:, k].astype(old.dtype)])
                            for k, old in enumerate((spans.labels, spans.starts, spans.ends)))
    return spans._replace(first=first, last=last, labels=labels, starts=starts, ends=ends,
                          units=unit)
