"""Admin chains written short: 上海青浦华新华志路559号 is 上海 | 青浦 | 华新 | 华志路 | 559号.

People write the chain of divisions with short names and no suffixes (上海青浦华新, 青浦华新镇).
The tagger has seen few such chains and reads 青浦华 as a poi and 新华志路 as the road. So
after the tagger, from where the text's leading admin spans end, names are read off the
gazetteer while each names a division inside the one before (青浦 in 上海, 华新 in 青浦: codes
nest by prefix) and is not the start of a road named after it (华新路); the tagger's spans
there give way, the one running past the chain keeps what is after it. With no admin span
before, two names must chain (青浦华新…), as one alone is often a shop or a road, unless a
known road follows it, or one named after a division inside it (青浦华新路: 青浦 | 华新路).

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


def _names() -> dict[str, str]:
    """Name → the divisions down to towns it names, official or short, as ``level:code``
    words (``_found`` reads them: a dict of strings unpickles in half the time of one of
    tuples); kept next to the compiled tables (the full gazetteer takes a third of a second
    to read)."""
    global _NAMES
    if _NAMES is None:
        _NAMES = _stored("chain-names", _build_names)
    return _NAMES


_NAMES: dict[str, str] | None = None


def _found(divisions: str) -> tuple[tuple[str, str], ...]:
    """(level, code) of each division in a value of _names()."""
    return tuple(cast("tuple[str, str]", tuple(word.split(":"))) for word in divisions.split())
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


def _build_names() -> dict[str, str]:
    gaz = load()
    out: dict[str, list[tuple[str, str]]] = {}
    for level in _CHAIN:
        for name, codes in gaz.by_name[level].items():
            official = any(gaz.units[code].name == name for code in codes)
            if official or not name.endswith(_ROAD_WORDS):  # 海拉尔东路 (街道): a road first
                out.setdefault(name, []).extend((level, code) for code in codes)
    return {name: " ".join(f"{level}:{code}" for level, code in found)
            for name, found in out.items()}


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
        divisions = names.get(folded[at:end])
        if not divisions or _ROAD_AFTER.match(folded, end):
            continue
        found = tuple((level, code) for level, code in _found(divisions)
                      if level not in written
                      and (short or level != "town" or not _short(folded[at:end])))
        fits = sorted({(code, level) for level, code in found
                       if inside is None or _child(code, inside)})
        # one division, or one chain (上海: the province and its city level): the deepest
        if fits and all(fits[-1][0].startswith(code) for code, _ in fits):
            code, level = fits[-1]
            return LABELS.index(level), code, end
    return None


_UP = {4: 2, 6: 4, 9: 6}  # code length → its parent's (city, district, town)
# The municipalities: their city level (市辖区, 县) is no place people write, so their
# districts are right under them too (上海 is labelled a province as often as a city).
_MUNICIPAL = frozenset({"11", "12", "31", "50"})


def _parents(code: str) -> tuple[str, ...]:
    """The divisions ``code`` is right under: its parent, and a municipality's district its
    province too."""
    if len(code) not in _UP:
        return ()
    parent = code[:_UP[len(code)]]
    return (parent, code[:2]) if len(code) == 6 and code[:2] in _MUNICIPAL else (parent,)


def _child(code: str, inside: str) -> bool:
    """``code`` is a division right under ``inside`` (宁波洪塘 skips 江北区: a shop's name)."""
    return inside in _parents(code)


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
    if inside is None or not _holds(folded, rows, k, (begin, at), read, inside):
        return None
    rest = [(label, max(start, at), end) for label, start, end in rows[k:] if end > at]
    deepest = next((codes[level] for level in reversed(LEVELS) if level in codes), "")
    return [*rows[:k], *read, *rest], deepest if deepest.startswith(inside) else inside


def _holds(folded: str, rows: Sequence[Row], k: int, chain: tuple[int, int],
           read: Sequence[Row], inside: str) -> bool:
    """The chain ``read`` over ``chain`` (start, end), after the ``k`` leading admin spans of
    ``rows``, replaces the tagger's reading there."""
    begin, end = chain
    if not read or not _gives_way(folded, rows[k:], begin, end, read, inside):
        return False
    return bool(k) or len(read) > 1 or _road_after_name(folded, rows, end, inside)


def _road_after_name(folded: str, rows: Sequence[Row], end: int, inside: str) -> bool:
    """One name alone, with no admin span before, starts a chain only when the tagger's road
    runs on from it into a road (see _road_rest): alone it is often a shop's name or a road's
    (青浦路)."""
    return any(LABELS[label] == "road" and start < end < stop
               and _road_rest(folded[end:stop], inside) for label, start, stop in rows)


def _road_rest(road: str, inside: str) -> bool:
    """What is left of a tagger's road after the chain is a road of its own: a known one, or
    one named after a division right under the chain's last (青浦|华新路: 华新 is a town of
    青浦)."""
    if is_road(road):
        return True
    names = _names()
    return any(_child(code, inside)
               for end in range(2, min(len(road), _LONGEST + 1))
               for _, code in _found(names.get(road[:end], "")))


def _gives_way(folded: str, rows: Sequence[Row], begin: int, end: int,
               read: Sequence[Row], inside: str) -> bool:
    """The tagger's reading yields to the chain [begin, end): unless it read one of the names
    exactly as a poi or a development zone (CCKS writes 常山县东案乡后宅村, 江阴市临港经济开发区
    so), or one of its spans starts with the chain and runs past it
    (杏林湾路, 四季青服装大市场: names that start with a place's), where only a road after the
    chain splits it (徐泾|崧泽大道; see _road_rest)."""
    names = {(start, stop) for _, start, stop in read}
    if any(LABELS[label] in _KEPT and (start, stop) in names for label, start, stop in rows):
        return False
    for label, start, stop in rows:
        if start <= begin < end < stop:
            return LABELS[label] == "road" and _road_rest(folded[end:stop], inside)
    return True


@cache
def _starts() -> np.ndarray:
    """The first two characters of every name _next can read, as sorted keys (see _pair)."""
    return _stored("chain-starts", lambda: np.unique(np.array(
        [_pair(name) for name in _names() if len(name) >= 2], dtype=np.int64)))


def _pair(name: str) -> int:
    return ord(name[0]) << 21 | ord(name[1])


def child_starts(index: dict[str, int]) -> np.ndarray:
    """Sorted keys parent unit << 42 | first two characters, of the names _next can read
    inside a division (``index``: code → unit of the kernel's tables; stored per index)."""
    units = hashlib.sha256("\n".join(index).encode()).hexdigest()[:16]
    return _stored(f"chain-children-{units}", lambda: _child_starts(index))


def _child_starts(index: dict[str, int]) -> np.ndarray:
    keys = {index[parent] << 42 | _pair(name)
            for name, divisions in _names().items() if len(name) >= 2
            for _, code in _found(divisions)
            for parent in _parents(code) if parent in index}
    return np.array(sorted(keys), dtype=np.int64)


# Whole names as keys, for the second test of candidates(): a name's hash (_HASH_BASE, wrapping
# at 64 bits), mixed with its parent unit's id for the names inside a division.
_HASH_BASE, _MIX = np.uint64(0x100000001B3), np.uint64(0x9E3779B97F4A7C15)


def name_hash(name: str) -> int:
    h = 0
    for ch in name:
        h = (h * int(_HASH_BASE) + ord(ch)) & 0xFFFF_FFFF_FFFF_FFFF
    return h


def span_hashes(cps: np.ndarray, lo: np.ndarray, hi: np.ndarray, keys: np.ndarray,
                space: np.ndarray) -> np.ndarray:
    """Per span ``cps[lo:hi]``: its name_hash is among the sorted ``keys``, or it holds a
    character ``space`` marks (a bool per code point below its length)."""
    h = np.zeros(len(lo), dtype=np.uint64)
    spaced = np.zeros(len(lo), dtype=bool)
    for k in range(int((hi - lo).max(initial=0))):
        inside = lo + k < hi
        c = cps[np.minimum(lo + k, len(cps) - 1)]
        h = np.where(inside, h * _HASH_BASE + c.astype(np.uint64), h)
        spaced |= inside & (c < len(space)) & space[np.minimum(c, len(space) - 1)]
    return spaced | _among(h, keys)


def _mixed(parent: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    return hashes ^ (parent.astype(np.uint64) * _MIX)


def child_names(index: dict[str, int]) -> np.ndarray:
    """Sorted keys (parent unit, whole name) of the names _next can read inside a division,
    as child_starts (stored per index)."""
    units = hashlib.sha256("\n".join(index).encode()).hexdigest()[:16]
    return _stored(f"chain-child-names-{units}", lambda: _child_names(index))


def _child_names(index: dict[str, int]) -> np.ndarray:
    pairs = {(index[parent], name_hash(name))
             for name, divisions in _names().items() if 2 <= len(name) <= _LONGEST
             for _, code in _found(divisions)
             for parent in _parents(code) if parent in index}
    parent = np.array([p for p, _ in pairs], dtype=np.int64)
    return np.unique(_mixed(parent, np.array([h for _, h in pairs], dtype=np.uint64)))


@cache
def _whole_names() -> np.ndarray:
    """Sorted hashes of every name _next can read (of 2 to _LONGEST characters)."""
    return _stored("chain-whole-names", lambda: np.unique(np.array(
        [name_hash(name) for name in _names() if 2 <= len(name) <= _LONGEST],
        dtype=np.uint64)))


class Pick(NamedTuple):
    """What candidates() needs of the kernel's tables: each unit's parent and level, the
    level of each label (-1: no admin level), child_starts(), child_names()."""

    parent: np.ndarray
    level: np.ndarray
    label_level: np.ndarray
    children: np.ndarray
    child_names: np.ndarray  # child_names()


def _among(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(keys, sorted_keys)`` for sorted keys: a binary search each (isin sorts both
    arrays again at every call, a hundred thousand keys for a few thousand texts)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[at] == keys


def candidates(cps: np.ndarray, at_text: np.ndarray, spans: Any, pick: Pick,
               parse_cps: np.ndarray | None = None) -> np.ndarray:
    """Texts where read_chain may read something: a span follows the leading admin spans and
    the two characters after them start the name of a division inside the one those spans
    name (any admin name when there are none). ``cps``: the folded texts' code points end to
    end, ``at_text`` where each starts; ``spans`` the kernel's Batch. With ``parse_cps`` (the
    texts as read_chain reads them: codes.parse_fold), also: such a whole name is written
    there (read_chain's first _next finds nothing otherwise: a fifth of the texts the first
    test leaves over on the CCKS test set)."""
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
    child = fits & lead & (inside >= 0)
    child[child] = _among((inside << 42 | pair)[child], pick.children)
    alone = fits & ~lead
    alone[alone] = _among(pair[alone], _starts())
    if parse_cps is not None:
        child, alone = _whole(parse_cps, at, at_text[1:], inside, child, alone, pick)
    return np.flatnonzero(child | alone | (units == -2))


def _whole(cps: np.ndarray, at: np.ndarray, end: np.ndarray, inside: np.ndarray,
           child: np.ndarray, alone: np.ndarray, pick: Pick) -> tuple[np.ndarray, np.ndarray]:
    """``child`` and ``alone`` where a whole name of 2 to _LONGEST characters starts at ``at``
    (before the text's ``end``): of a division inside ``inside`` for ``child``, any for
    ``alone``."""
    tried = np.flatnonzero(child | alone)
    start, stop = at[tried], end[tried]
    parent = np.maximum(inside[tried], 0)
    is_child = child[tried]
    h = np.zeros(len(tried), dtype=np.uint64)
    found = np.zeros(len(tried), dtype=bool)
    for length in range(1, _LONGEST + 1):
        inside_text = start + length <= stop
        h = np.where(inside_text, h * _HASH_BASE
                     + cps[np.minimum(start + length - 1, len(cps) - 1)].astype(np.uint64), h)
        if length >= 2:
            ask = np.flatnonzero(inside_text & ~found)
            kids, any_name = ask[is_child[ask]], ask[~is_child[ask]]
            found[kids] = _among(_mixed(parent[kids], h[kids]), pick.child_names)
            found[any_name] = _among(h[any_name], _whole_names())
    keep = np.zeros(len(child), dtype=bool)
    keep[tried[found]] = True
    return child & keep, alone & keep
