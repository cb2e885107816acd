"""The rules after the tagger that the compiled kernel does not run, for one text and for a
kernel batch alike: admin chains written short (address.parse.prefix) and the town a road of
the district's gazetteer gives (address.parse.roads, read by the Python resolver). A text a
rule changes gets unit -2: its codes come from the Python resolver over its rows.

Batches stay fast: only texts a vectorised test picks are looked at in Python (those whose
next characters after the leading admin spans start an admin name; those with a road span
and no town, resolved nowhere or above the gazetteer's towns).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from address.parse import roads
from address.parse.codes import Row, parse_fold, unit_codes
from address.parse.prefix import candidates, read_chain
from address.parse.tagger import LABELS
from address.text.normalize import fold

if TYPE_CHECKING:
    from address.parse.compiled.run import Batch, Tables

_ROAD = LABELS.index("road")
_MAY_TELL: dict[int, tuple[Tables, Any]] = {}  # by the tables' id (they are not hashable)


def _road_may_tell(tb: Tables) -> Any:
    """Per unit (and, last, for none: -1) whether a road of the district's gazetteer could add a
    town to its codes: the unit lies above the gazetteer's towns."""
    found = _MAY_TELL.get(id(tb))
    if found is None or found[0] is not tb:
        areas = roads.areas()
        found = _MAY_TELL[id(tb)] = (tb, np.array([code in areas and len(code) < 9
                                                    for code in tb.unit_codes] + [True]))
    return found[1]


def _road_tells(unit: int, text: str, rows: Sequence[Row], tb: Tables) -> bool:
    """The Python resolver, which reads roads (address.parse.resolve._by_road), finds more
    than the kernel's unit says."""
    return any(label == _ROAD for label, _, _ in rows) and (
        unit_codes(-2, text, rows, tb) != unit_codes(unit, text, rows, tb))


def one(text: str, rows: tuple[Row, ...], unit: int, tb: Tables) -> tuple[tuple[Row, ...], int]:
    """The rules on one text's kernel rows and unit."""
    if (chain := read_chain(parse_fold(text), rows)) is not None:
        return tuple(chain), -2
    if _road_may_tell(tb)[unit] and _road_tells(unit, text, rows, tb):
        return rows, -2
    return rows, unit


def _rows(batch: Batch, i: int) -> list[Row]:
    lo, hi = batch.first[i], batch.last[i]
    return list(zip(batch.labels[lo:hi].tolist(), batch.starts[lo:hi].tolist(),
                    batch.ends[lo:hi].tolist(), strict=True))


def batch(texts: list[str], spans: Batch, tb: Tables) -> Batch:
    """The rules on a kernel batch: rows a chain rewrote appended, their texts' unit -2."""
    spans = _with_chains(texts, spans)
    may = _road_may_tell(tb)[spans.units] & (spans.units != -2)
    if not may.any():
        return spans
    has_road = np.concatenate([[0], np.cumsum(spans.labels == _ROAD)])
    may &= has_road[spans.last] > has_road[spans.first]
    units = spans.units.copy()
    for i in np.flatnonzero(may).tolist():
        if _road_tells(int(units[i]), texts[i], _rows(spans, i), tb):
            units[i] = -2
    return spans._replace(units=units)


def _with_chains(texts: list[str], spans: Batch) -> Batch:
    cps = np.frombuffer(fold("".join(texts)).encode("utf-32-le", "surrogatepass"),
                        dtype=np.uint32)
    at_text = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=at_text[1:])
    first, last, units = spans.first.copy(), spans.last.copy(), spans.units.copy()
    count, read = len(spans.labels), []
    for i in candidates(cps, at_text, spans.first, spans.last, spans.labels, spans.ends).tolist():
        chain = read_chain(parse_fold(texts[i]), _rows(spans, i))
        if chain is not None:
            first[i], last[i], units[i] = count, count + len(chain), -2
            count += len(chain)
            read += chain
    if not read:
        return spans
    added = np.array(read, dtype=np.int64).reshape(-1, 3)
    labels, starts, ends = (np.concatenate([old, added[:, k].astype(old.dtype)])
                            for k, old in enumerate((spans.labels, spans.starts, spans.ends)))
    return spans._replace(first=first, last=last, labels=labels, starts=starts, ends=ends,
                          units=units)
