"""Admin chains written short: 上海青浦华新华志路559号 is 上海 | 青浦 | 华新 | 华志路 | 559号.

People write the chain of divisions with short names and no suffixes (上海青浦华新, 青浦华新镇).
The tagger has seen few such chains and reads 青浦华 as a poi and 新华志路 as the road. So
after the tagger, from where the text's leading admin spans end, names are read off the
gazetteer while each names a division inside the one before (青浦 in 上海, 华新 in 青浦: codes
nest by prefix) and is not the start of a road named after it (华新路); the tagger's spans
there give way, the one running past the chain keeps what is after it. With no admin span
before, two names must chain (青浦华新…), as one alone is often a shop or a road.

One rule for every path: ``parse_reference`` and ``parse`` call :func:`read_chain` on a text's
rows, ``parse_batch`` calls :func:`apply` on the kernel's arrays, which tries only the texts
whose next two characters start some admin name (one vectorised test) and gives the rewritten
ones to the Python resolver (unit -2).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

import numpy as np

from address.parse import gazetteer as gazetteer_module
from address.parse.gazetteer import _ROAD_AFTER, LEVELS, load
from address.parse.gazetteer import DATA as GAZETTEER_DATA
from address.parse.roads import is_road
from address.parse.tagger import LABELS

Row = tuple[int, int, int]  # (label index into LABELS, start, end)

_CHAIN = ("prov", "city", "district", "town")  # communities: too many short names to chain
_CHAIN_LABELS = frozenset(LABELS.index(level) for level in _CHAIN)
_LONGEST = 8
_SUFFIXES = ("省", "市", "区", "县", "旗", "镇", "乡", "街道")
_ROAD_WORDS = ("路", "街", "道", "巷")
_KEPT = frozenset({"poi", "devzone"})


def _names() -> dict[str, tuple[tuple[str, str], ...]]:
    """Name → (level, code) of the divisions down to towns it names, official or short; kept
    next to the compiled tables (the full gazetteer takes a third of a second to read)."""
    global _NAMES
    if _NAMES is None:
        _NAMES = _stored("chain-names", _build_names)
    return _NAMES


_NAMES: dict[str, tuple[tuple[str, str], ...]] | None = None
T = TypeVar("T")


def _stored(name: str, build: Callable[[], T]) -> T:
    """``build()``, pickled next to the compiled tables under ``name`` and this module's
    ``_stamp`` by the first process, read back by the others."""
    from address.parse.compiled.store import cache_root

    path = cache_root() / f"{name}-{_stamp()}.pickle"
    try:
        return cast("T", pickle.loads(path.read_bytes()))  # our own cache, trusted as .pyc are
    except (OSError, pickle.UnpicklingError, EOFError):
        value = build()
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(path)
        return value


def _stamp() -> str:
    """What the names are made from: the gazetteer's data (by size and time) and code."""
    data = GAZETTEER_DATA.stat()
    sha = hashlib.sha256(f"{data.st_size}:{data.st_mtime_ns}".encode())
    for path in (Path(__file__), Path(gazetteer_module.__file__)):
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def _build_names() -> dict[str, tuple[tuple[str, str], ...]]:
    gaz = load()
    out: dict[str, list[tuple[str, str]]] = {}
    for level in _CHAIN:
        for name, codes in gaz.by_name[level].items():
            official = any(gaz.units[code].name == name for code in codes)
            if official or not name.endswith(_ROAD_WORDS):  # 海拉尔东路 (街道): a road first
                out.setdefault(name, []).extend((level, code) for code in codes)
    return {name: tuple(found) for name, found in out.items()}


def _short(name: str) -> bool:
    """Written without its suffix (青浦, 华新; not 青浦区, 华新镇)."""
    return not name.endswith(_SUFFIXES)


def _next(folded: str, at: int, inside: str | None, short: bool, written: frozenset[str],
          ) -> tuple[int, str, int] | None:
    """(label, code, end) of the longest name at ``at`` of a division inside ``inside`` (a
    code; None: any), when one fits (or one chain of them) and no road word follows it. Not of
    a level the text labels elsewhere (``written``: 溪口 before 门村镇 is no town), and a short
    town name only after a short name (``short``): after 宿城区, 双庄 is a market's name."""
    names = _names()
    for end in range(min(len(folded), at + _LONGEST), at + 1, -1):
        found = names.get(folded[at:end])
        if not found or _ROAD_AFTER.match(folded, end):
            continue
        found = tuple((level, code) for level, code in found if level not in written
                      and (short or level != "town" or not _short(folded[at:end])))
        fits = sorted({(code, level) for level, code in found
                       if inside is None or _child(code, inside)})
        # one division, or one chain (上海: the province and its city level): the deepest
        if fits and all(fits[-1][0].startswith(code) for code, _ in fits):
            code, level = fits[-1]
            return LABELS.index(level), code, end
    return None


_DEPTH = {2: 4, 4: 6, 6: 9}  # code length → its children's (province, city, district)


def _child(code: str, inside: str) -> bool:
    """``code`` is a division right under ``inside`` (宁波洪塘 skips 江北区: a shop's name)."""
    return len(code) == _DEPTH.get(len(inside)) and code.startswith(inside)


def _inside(codes: dict[str, str], rows: Sequence[Row]) -> str | None:
    """The division the leading admin spans ``rows`` name: the text's resolved ``codes`` down
    to the deepest level those spans are labelled with."""
    deepest = max(_CHAIN.index(LABELS[label]) for label, _, _ in rows)
    return next((codes[level] for level in reversed(_CHAIN[:deepest + 1]) if level in codes),
                None)


def read_chain(folded: str, rows: Sequence[Row], codes: dict[str, str],
               ) -> tuple[list[Row], str] | None:
    """``rows`` with the admin chain after the leading admin spans read (see the module), and
    the code the text then names: the chain's last division, or the one ``codes`` (the text's
    resolved codes) gave when that lies inside it (张马村 after 青浦朱家角). None when there is
    no chain to read. ``folded`` is the text as the parser reads it."""
    k = 0
    while k < len(rows) and rows[k][0] in _CHAIN_LABELS:
        k += 1
    if k == len(rows):
        return None
    at = rows[k - 1][2] if k else 0
    inside = _inside(codes, rows[:k]) if k else None
    if k and inside is None:
        return None
    begin, read = at, []
    short = not k or _short(folded[rows[k - 1][1]:rows[k - 1][2]])
    written = frozenset(LABELS[label] for label, _, _ in rows)
    while (hit := _next(folded, at, inside, short, written)) is not None:
        label, inside, end = hit
        read.append((label, at, end))
        short, at = _short(folded[read[-1][1]:end]), end
    if inside is None or len(read) < (1 if k else 2) or not _gives_way(folded, rows[k:], begin,
                                                                        at, read):
        return None
    rest = [(label, max(start, at), end) for label, start, end in rows[k:] if end > at]
    deepest = next((codes[level] for level in reversed(LEVELS) if level in codes), "")
    return [*rows[:k], *read, *rest], deepest if deepest.startswith(inside) else inside


def _gives_way(folded: str, rows: Sequence[Row], begin: int, end: int,
               read: Sequence[Row]) -> bool:
    """The tagger's reading yields to the chain [begin, end): unless it read one of the names
    exactly as a poi or a development zone (CCKS writes 常山县东案乡后宅村, 江阴市临港经济开发区
    so), or one of its spans starts with the chain and runs past it
    (杏林湾路, 四季青服装大市场: names that start with a place's), where only a known road
    after the chain splits it (徐泾|崧泽大道)."""
    names = {(start, stop) for _, start, stop in read}
    if any(LABELS[label] in _KEPT and (start, stop) in names for label, start, stop in rows):
        return False
    for label, start, stop in rows:
        if start <= begin < end < stop:
            return LABELS[label] == "road" and is_road(folded[end:stop])
    return True


@cache
def _starts() -> np.ndarray:
    """The first two characters of every name _next can read, as sorted keys (see _pair)."""
    return _stored("chain-starts", lambda: np.unique(np.array(
        [_pair(name) for name in _names() if len(name) >= 2], dtype=np.int64)))


def _pair(name: str) -> int:
    return ord(name[0]) << 21 | ord(name[1])


_PARENT = {"city": 2, "district": 4, "town": 6}  # a level → its parent's code length


def child_starts(index: dict[str, int]) -> np.ndarray:
    """Sorted keys parent unit << 42 | first two characters, of the names _next can read
    inside a division (``index``: code → unit of the kernel's tables; stored per index)."""
    units = hashlib.sha256("\n".join(index).encode()).hexdigest()[:16]
    return _stored(f"chain-children-{units}", lambda: _child_starts(index))


def _child_starts(index: dict[str, int]) -> np.ndarray:
    keys = {index[code[:_PARENT[level]]] << 42 | _pair(name)
            for name, found in _names().items() if len(name) >= 2
            for level, code in found if level != "prov" and code[:_PARENT[level]] in index}
    return np.array(sorted(keys), dtype=np.int64)


class Pick(NamedTuple):
    """What candidates() needs of the kernel's tables: each unit's parent and level, the
    level of each label (-1: no admin level), child_starts()."""

    parent: np.ndarray
    level: np.ndarray
    label_level: np.ndarray
    children: np.ndarray


def _among(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(keys, sorted_keys)`` for sorted keys: a binary search each (isin sorts both
    arrays again at every call, a hundred thousand keys for a few thousand texts)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys


def candidates(cps: np.ndarray, at_text: np.ndarray, spans: Any, pick: Pick) -> np.ndarray:
    """Texts where read_chain may read something: a span follows the leading admin spans and
    the two characters after them start the name of a division inside the one those spans
    name (any admin name when there are none). ``cps``: the folded texts' code points end to
    end, ``at_text`` where each starts; ``spans`` the kernel's Batch."""
    first, last, labels, ends, units = spans.first, spans.last, spans.labels, spans.ends, \
        spans.units
    other = np.flatnonzero(~np.isin(labels, np.array(sorted(_CHAIN_LABELS))))
    if not len(other):
        return np.flatnonzero(units == -2)
    j = np.searchsorted(other, first)  # each text's first row that is no admin span
    row = other[np.minimum(j, len(other) - 1)]
    lead = row > first
    at = np.where(lead, ends[np.maximum(row - 1, 0)], 0) + at_text[:-1]
    fits = (j < len(other)) & (row < last) & (at + 2 <= at_text[1:])
    pair = np.zeros(len(first), dtype=np.int64)
    pair[fits] = (cps[at[fits]].astype(np.int64) << 21) | cps[at[fits] + 1]
    # the division the leading spans name: the text's unit up to their deepest level
    inside = units.astype(np.int64)
    deepest = pick.label_level[labels[np.maximum(row - 1, 0)]]
    for _ in range(len(LEVELS)):
        up = (inside >= 0) & (pick.level[np.maximum(inside, 0)] > deepest)
        inside = np.where(up, pick.parent[np.maximum(inside, 0)], inside)
    child = fits & lead & (inside >= 0) & _among(inside << 42 | pair, pick.children)
    alone = fits & ~lead & _among(pair, _starts())
    return np.flatnonzero(child | alone | (units == -2))
