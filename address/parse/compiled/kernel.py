"""Compiled parsing: the shipped CRF, the gazetteer pre-pass, the span rules and code resolution
in one numba kernel.

:mod:`address.parse.parser` states the parser in plain Python over python-crfsuite
(``parse_reference``); this module computes exactly the same result for a whole batch of texts
in one call of compiled code. The Python version spends its time building feature strings that
crfsuite then looks up one by one; here each folded character maps to a small id and the model's
weights are regrouped by what a template reads: the one-character templates (u/U, p, n, q, m) as
dense vectors per character and offset (offset 0 together with the gazetteer-tag templates g
and h, per pre-pass code), the templates over two or three characters (b/B, c/C, s, t/T) as
sparse (label, weight) rows in hash tables keyed by the packed ids.

Per text the kernel runs the dictionary pre-pass (``gazetteer.Scanner``), the state scores,
Viterbi (see ``_viterbi``), BIO → spans, ``parse``'s two rules (an admin span cut inside a
gazetteer name is snapped to it; a number after a building part is a room) and the resolver
(``resolve._resolve`` on bit masks over the admin mentions, units indexed in code order).

Texts are taken in code point order (``_text_order``): a text equal to the one before shares
its result, and one sharing a prefix with it keeps the Viterbi columns of that prefix.
Floating-point sums run in another order than crfsuite's; bench/parse_speed.py and the tests
compare every result with ``parse_reference``.
"""

# Compiled functions return numpy integers where the annotations say int.
# mypy: disable-error-code="return-value,arg-type"
from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pycrfsuite
from llvmlite import ir
from llvmlite.binding import llvm_version_info
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from address.parse.gazetteer import LEVELS, all_names, load, scanner
from address.parse.tagger import LABELS, MAX_CHARS, PAD_LEFT, PAD_RIGHT

log = logging.getLogger(__name__)

_BITS = 14  # bits per character id in a packed key; the shipped model has 1,937 characters
_OFFSETS = {"q": 0, "p": 1, "u": 2, "U": 2, "n": 3, "m": 4}  # one-character template → offset + 2
_HASH_MULT = 1000003
_HASH_INVERSE = pow(_HASH_MULT, -1, 1 << 64)  # so the hash of a prefix can be taken off
_MASK64 = (1 << 64) - 1
_TOP = 1 << 63
_MAX_MENTIONS = 64  # admin mentions per text the kernel resolves (bit masks); beyond: resolve.py
# Label flags for the kernel.
_SNAP, _ROOM_AFTER, _ADMIN, _DEVZONE, _DISTRICT_OR_CITY = 1, 2, 4, 8, 16


@dataclass(frozen=True)
class Tables:
    """Everything the kernel reads (built once per process from the crfsuite model), grouped as
    the kernel takes it: ``model`` (features and transitions), ``names`` (gazetteer names),
    ``units`` (resolution), and the rest."""

    model: tuple[np.ndarray, ...]
    names: tuple[np.ndarray, ...]
    units: tuple[np.ndarray, ...]
    char_ids: np.ndarray  # int16 per code point; 0: not in the model
    tag_kind: np.ndarray  # int64 per CRF tag: 0 O, 1 B-, 2 I-
    tag_label: np.ndarray  # int64 per CRF tag: index into LABELS
    label_flags: np.ndarray  # int64 per label: _SNAP | _ROOM_AFTER | …
    label_level: np.ndarray  # int64 per label: index in LEVELS, -1 for other labels
    unit_codes: tuple[str, ...]  # gazetteer codes, sorted; the kernel's unit index
    crf_tags: tuple[str, ...]  # the CRF's tags in its own order (the kernel's tag index)


# ---- building the tables ----------------------------------------------------------------------

def _mix(x: int) -> int:
    """One multiply, its high bits folded onto the low ones (the same arithmetic as ``_mix64``
    in the kernel)."""
    x = x * 0x9E3779B97F4A7C15 & _MASK64
    return x ^ (x >> 29)


def _text_hash(text: str) -> int:
    h = 0
    for ch in text:
        h = (h * _HASH_MULT + ord(ch)) & _MASK64
    return h


def _hash_table(entries: dict[int, int]) -> np.ndarray:
    """Open addressing with linear probing, as (slots, 2) uint64 rows of key | top bit, value;
    a zero key is an empty slot. Key and value share a cache line."""
    size = 1 << max(4, (2 * len(entries)).bit_length())
    table = np.zeros((size, 2), dtype=np.uint64)
    for key, value in entries.items():
        key |= _TOP
        slot = _mix(key) & (size - 1)
        while table[slot, 0]:
            slot = (slot + 1) & (size - 1)
        table[slot] = key, value
    return table


def _scanner_codes() -> dict[str, int]:
    """Scanner tag → small code: O 0, B<level> 1 + 2·level, I<level> 2 + 2·level."""
    codes = {"O": 0}
    for i, level in enumerate(LEVELS):
        codes["B" + level], codes["I" + level] = 1 + 2 * i, 2 + 2 * i
    return codes


def _pack(ids: tuple[int, ...]) -> int:
    key = 0
    for value in ids:
        key = (key << _BITS) | value
    return key


def _regroup(state_features: dict[tuple[str, str], float], index: dict[str, int],
             char_id: Callable[[str], int]) -> dict[tuple[str, tuple[int, ...]], dict[int, float]]:
    """(group, ids) → {label: weight}; a group is what one lookup in the kernel fetches."""
    codes = _scanner_codes()
    groups: dict[tuple[str, tuple[int, ...]], dict[int, float]] = {}
    for (attr, tag), weight in state_features.items():
        letter, rest = attr[0], attr[1:]
        if letter in _OFFSETS and len(rest) == 1:
            key: tuple[str, tuple[int, ...]] = ("u", (_OFFSETS[letter], char_id(rest)))
        elif letter in "bBcCs" and len(rest) == 2:  # b/B: (c-1, c0) c/C: (c0, c+1) s: (c-1, c+1)
            key = (letter.lower(), (char_id(rest[0]), char_id(rest[1])))
        elif letter in "tT" and len(rest) == 3:
            key = ("t", (char_id(rest[0]), char_id(rest[1]), char_id(rest[2])))
        elif letter == "g" and rest in codes:
            key = ("g", (codes[rest],))
        elif letter == "h" and rest and rest[:-1] in codes:
            key = ("h", (codes[rest[:-1]], char_id(rest[-1])))
        else:
            continue  # the NAACL copies (V/E/F/W): never generated when parsing
        group = groups.setdefault(key, {})
        group[index[tag]] = group.get(index[tag], 0.0) + weight
    return groups


def _feature_tables(groups: dict[tuple[str, tuple[int, ...]], dict[int, float]],
                    n_chars: int, n_labels: int) -> tuple[np.ndarray, ...]:
    """The kernel's feature arrays: the dense tables, and the hash tables of the templates over
    two or three characters, whose values refer to sparse (label, weight) rows as
    1 + start · 64 + length (0: none), so a look-up is one read."""
    sparse = {key: group for key, group in groups.items() if key[0] in "bcst"}
    rows = list(sparse.values())
    starts = np.cumsum([0] + [len(r) for r in rows]).tolist()
    ref = {key: 1 + start * 64 + len(r)  # a group has at most 37 labels
           for key, start, r in zip(sparse, starts, rows, strict=False)}
    weights = np.array([(label, w) for r in rows for label, w in r.items()], dtype=np.float64)
    pairs: dict[int, int] = {}
    for (group, ids), r in ref.items():
        if group in "bc":  # one lookup per pair of characters serves both
            pairs[_pack(ids)] = pairs.get(_pack(ids), 0) | r << (32 * (group == "c"))
    skip = {_pack(ids): r for (group, ids), r in ref.items() if group == "s"}
    tri = {_pack(ids): r for (group, ids), r in ref.items() if group == "t"}
    return (_dense_table(groups, n_chars, n_labels), _hash_table(pairs), _hash_table(skip),
            _hash_table(tri), weights.reshape(-1, 2))


def _dense_table(groups: dict[tuple[str, tuple[int, ...]], dict[int, float]], n_chars: int,
                 n_labels: int) -> np.ndarray:
    """The one-character templates are dense (about 17 of 37 labels per row), so they are
    vectors, (chars, 4 + scanner codes, L): per character the rows for offsets -2, -1, +1, +2,
    then per pre-pass code the offset-0 templates + g + h (everything that reads only c0 and its
    code). A character's rows sit together, and the same character is read at the next
    positions under the next offsets."""
    dense = np.zeros((n_chars, 4 + len(_scanner_codes()), n_labels))
    for (group, ids), weights in groups.items():
        for label, w in weights.items():
            if group == "u" and ids[0] != 2:
                dense[ids[1], ids[0] - (ids[0] > 2), label] += w
            elif group == "u":
                dense[ids[1], 4:, label] += w
            elif group == "g":
                dense[:, 4 + ids[0], label] += w
            elif group == "h":
                dense[ids[1], 4 + ids[0], label] += w
    return dense


def _split_transitions(trans: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, ...]:
    """For _viterbi, given a source term r (any r is exact; a good one is fast): per label j
    the two sources with the largest trans[i, j] - r[i] ("strong") and their transitions, and
    the largest trans[i, j] - r[i] of the other sources, with a margin over float rounding so
    that the bound always holds."""
    rest = trans - r[:, None]
    order = np.argsort(-rest, axis=0, kind="stable")
    bound_add = np.take_along_axis(rest, order[2:3], axis=0)[0] + 1e-9
    labels = np.arange(len(trans))
    strong0, strong1 = order[0].astype(np.int64), order[1].astype(np.int64)
    return (r, bound_add, strong0, strong1, trans[strong0, labels].copy(),
            trans[strong1, labels].copy())


def _unsure_cost(trans: np.ndarray, r: np.ndarray, columns: np.ndarray) -> float:
    """How often _viterbi falls back to a full max, for Viterbi columns (positions, L): the
    share of steps with an unsure label plus half the unsure labels per step."""
    _, bound_add, strong0, strong1, trans0, trans1 = _split_transitions(trans, r)
    scored = columns + r
    top = np.argsort(-scored, axis=1, kind="stable")[:, :3]
    rows = np.arange(len(columns))[:, None]
    best = np.maximum(columns[rows, top[:, :1]] + trans[top[:, 0]],
                      columns[rows, top[:, 1:2]] + trans[top[:, 1]])
    best = np.maximum(best, np.maximum(columns[:, strong0] + trans0,
                                       columns[:, strong1] + trans1))
    unsure = ~(best > scored[rows, top[:, 2:3]] + bound_add)
    return float(unsure.any(axis=1).mean() + 0.5 * unsure.sum(axis=1).mean())


def fit_source_terms(trans: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The source term r of _viterbi's bound that makes its full-max fallback rarest on the
    given Viterbi columns (coordinate descent from zero; a speed setting, never a result)."""
    r = np.zeros(len(trans))
    best = _unsure_cost(trans, r, columns)
    for step in (2.0, 1.0, 0.5, 0.25, 0.25, 0.125):
        for i in range(len(r)):
            for move in (step, -step):
                trial = r.copy()
                trial[i] += move
                cost = _unsure_cost(trans, trial, columns)
                if cost < best:
                    best, r = cost, trial
    return r


def source_terms_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".viterbi.json")


def _digest(model_path: str) -> str:
    """What the source terms file names its model by."""
    return hashlib.sha256(Path(model_path).read_bytes()).hexdigest()


def _source_terms(model_path: str, tags: tuple[str, ...]) -> np.ndarray:
    """The fitted r shipped next to the model (address.training.train writes it), when it was fitted
    for this very model file; zeros otherwise (exact all the same, only slower)."""
    path = source_terms_path(model_path)
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["model_sha256"] == _digest(model_path) and set(saved["r"]) == set(tags):
            return np.array([saved["r"][tag] for tag in tags])
    log.warning("no fitted Viterbi source terms for %s: parsing is slower (address.training.train "
                "--terms-only fits them)", model_path)
    return np.zeros(len(tags))


def _name_tables() -> tuple[tuple[np.ndarray, ...], list[str]]:
    """Every gazetteer name (ids in sorted order) with its scanner level; per two-character
    start of a scanner name, the bit set of the lengths of those names; the bit set of the
    characters scanner names start with; str.isspace below U+3001."""
    scan = scanner()
    names = sorted(all_names())
    levels = [LEVELS.index(scan.names[n]) if n in scan.names else -1 for n in names]
    ids = _hash_table({_text_hash(n): i for i, n in enumerate(names)})
    chars = np.array([ord(ch) for n in names for ch in n], dtype=np.int64)
    ptr = np.cumsum([0] + [len(n) for n in names]).astype(np.int64)
    lengths: dict[int, int] = {}  # first two characters → bit set of the lengths of the names
    for name in scan.names:
        if len(name) >= 2:
            key = (ord(name[0]) << 21) | ord(name[1])
            lengths[key] = lengths.get(key, 0) | 1 << len(name)
    if max(map(len, scan.names)) >= 63:  # the bit set is an int64
        raise ValueError("a gazetteer name of 63 characters or more")
    prefixes = _hash_table(lengths)
    space = np.array([chr(cp).isspace() for cp in range(0x3001)], dtype=np.bool_)
    starters = np.zeros(0x110000 // 64, dtype=np.uint64)  # bit set: first character of a name
    for name in scan.names:
        starters[ord(name[0]) >> 6] |= np.uint64(1 << (ord(name[0]) & 63))
    return (ids, chars, ptr, np.array(levels, dtype=np.int64), space, prefixes, starters), names


def _unit_tables(names: list[str]) -> tuple[tuple[np.ndarray, ...], tuple[str, ...]]:
    """Gazetteer units in code order (a lower index is a lower code) and, per name and level,
    the units of that level carrying the name (resolve.py's proposals)."""
    gaz = load()
    codes = sorted(gaz.units)
    index = {code: i for i, code in enumerate(codes)}
    parent = [index.get(gaz.units[c].parent, -1) for c in codes]
    level = [LEVELS.index(gaz.units[c].level) for c in codes]
    home = [2 if c.startswith("310118") else 1 if c.startswith("31") else 0 for c in codes]
    lists = [[index[c] for c in gaz.by_name[lv].get(name, ())] for name in names for lv in LEVELS]
    arrays = (np.array(parent, dtype=np.int64), np.array(level, dtype=np.int64),
              np.array(home, dtype=np.int64),
              np.cumsum([0] + [len(x) for x in lists]).astype(np.int64),
              np.array([u for x in lists for u in x], dtype=np.int64))
    return arrays, tuple(codes)


def _label_flags() -> np.ndarray:
    flags = np.zeros(len(LABELS), dtype=np.int64)
    for i, label in enumerate(LABELS):
        flags[i] = ((label in ("prov", "city", "district", "town")) * _SNAP
                    | (label in ("houseno", "cellno", "floorno", "roadno", "poi", "subpoi"))
                    * _ROOM_AFTER
                    | (label in LEVELS) * _ADMIN | (label == "devzone") * _DEVZONE
                    | (label in ("district", "city")) * _DISTRICT_OR_CITY)
    return flags


@cache
def tables(path: str) -> Tables:
    """The crfsuite model at ``path`` and the gazetteer as the kernel reads them (a few seconds,
    once per process)."""
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    model = tagger.info()
    tags = tuple(sorted(model.labels, key=model.labels.__getitem__))
    index = {tag: i for i, tag in enumerate(tags)}
    chars: dict[str, int] = {}

    def char_id(ch: str) -> int:
        return chars.setdefault(ch, len(chars) + 1)

    groups = _regroup(model.state_features, index, char_id)
    for ch in PAD_LEFT + PAD_RIGHT:
        char_id(ch)
    if len(chars) >= 1 << _BITS:
        raise ValueError("too many distinct characters for the packed keys")
    if len(tags) > 64:
        raise ValueError("more than 64 CRF tags: _best_three marks a source in six bits")
    char_ids = np.zeros(0x110000, dtype=np.int16)  # small, so the hot part stays in cache
    char_ids[[ord(ch) for ch in chars]] = list(chars.values())
    trans = np.zeros((len(tags), len(tags)))
    for (src, dst), weight in model.transitions.items():
        trans[index[src], index[dst]] = weight
    names, name_list = _name_tables()
    units, unit_codes = _unit_tables(name_list)
    return Tables(
        model=(*_feature_tables(groups, len(chars) + 1, len(tags)), trans,
               *_split_transitions(trans, _source_terms(path, tags))),
        names=names, units=units, char_ids=char_ids,
        tag_kind=np.array([0 if t == "O" else 1 if t[0] == "B" else 2 for t in tags],
                          dtype=np.int64),
        tag_label=np.array([LABELS.index(t[2:]) if t != "O" else -1 for t in tags],
                           dtype=np.int64),
        label_flags=_label_flags(),
        label_level=np.array([LEVELS.index(lb) if lb in LEVELS else -1 for lb in LABELS],
                             dtype=np.int64),
        unit_codes=unit_codes,
        crf_tags=tags,
    )


# ---- the kernel: look-ups -------------------------------------------------------------------

def _prefetch_intrinsic(typingctx: Any, array: Any, index: Any) -> tuple[Any, Callable[..., Any]]:
    """_prefetch(array, index): ask the processor to bring array[index] (a 1-D array) into
    cache; no result."""
    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        address = builder.gep(ary.data, [args[1]])
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
            _PREFETCH)
        builder.call(fn, [builder.bitcast(address, i8p), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()
    return types.void(array, index), codegen


_prefetch: Any = intrinsic(_prefetch_intrinsic)
# The intrinsic's name carries its pointer type: opaque pointers from LLVM 15 on.
_PREFETCH = "llvm.prefetch.p0" if llvm_version_info >= (15,) else "llvm.prefetch.p0i8"


@njit(cache=True, inline="always")
def _slot_of(table: np.ndarray, key: int) -> int:
    """Where the probe for ``key`` starts in a table made by ``_hash_table``."""
    # (uint64 with int64 would be float64)
    return np.int64(_mix64(np.uint64(key) | np.uint64(1 << 63)) & np.uint64(len(table) - 1))


@njit(cache=True, inline="always")
def _mix64(x: np.uint64) -> np.uint64:
    x = x * np.uint64(0x9E3779B97F4A7C15)
    return x ^ (x >> np.uint64(29))


@njit(cache=True, inline="always")
def _find(table: np.ndarray, key: int) -> int:
    """The value stored under ``key`` in a table made by ``_hash_table``; 0 when absent."""
    wanted = np.uint64(key) | np.uint64(1 << 63)
    mask = len(table) - 1
    slot = _slot_of(table, key)
    while table[slot, 0]:
        if table[slot, 0] == wanted:
            return np.int64(table[slot, 1])
        slot = (slot + 1) & mask
    return 0


@njit(cache=True, inline="always")
def _is_space(cp: int, space: np.ndarray) -> bool:
    return cp < 0x3001 and space[cp]


@njit(cache=True)
def _name_id(names: tuple, cps: np.ndarray, lo: int, hi: int, skip_space: bool) -> int:
    """Id of the gazetteer name spelled by cps[lo:hi] (spaces dropped if asked), else -1."""
    space = names[4]
    h = np.uint64(0)
    length = 0
    for k in range(lo, hi):
        if not (skip_space and _is_space(cps[k], space)):
            h = h * np.uint64(_HASH_MULT) + np.uint64(cps[k])
            length += 1
    return _hashed_name(names, h, length, cps, lo, hi, skip_space) if length else -1


@njit(cache=True)
def _hashed_name(names: tuple, h: np.uint64, length: int, cps: np.ndarray, lo: int, hi: int,
                 skip_space: bool) -> int:
    """_name_id once the hash and the length (spaces dropped if asked) are known."""
    table, chars, ptr, space = names[0], names[1], names[2], names[4]
    wanted = h | np.uint64(1 << 63)
    slot = _slot_of(table, h)
    while table[slot, 0] and table[slot, 0] != wanted:
        slot = (slot + 1) & (len(table) - 1)
    if not table[slot, 0]:
        return -1
    nid = np.int64(table[slot, 1])
    if ptr[nid + 1] - ptr[nid] != length:
        return -1
    j = ptr[nid]
    for k in range(lo, hi):  # a hash match: check the characters
        if not (skip_space and _is_space(cps[k], space)):
            if chars[j] != cps[k]:
                return -1
            j += 1
    return nid


@njit(cache=True, inline="always")
def _span_name(names: tuple, cps: np.ndarray, codes: np.ndarray, hits: np.ndarray, lo: int,
               hi: int, skip_space: bool) -> int:
    """_name_id of cps[lo:hi], taken from the pre-pass when it found that very name there."""
    if codes[lo] & 1 and lo + (hits[lo] & 255) == hi:
        return hits[lo] >> 8
    return _name_id(names, cps, lo, hi, skip_space)


@njit(cache=True)
def _road_after(cps: np.ndarray, j: int, hi: int) -> bool:
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
def _scan(names: tuple, cps: np.ndarray, lo: int, hi: int, out: np.ndarray,
          hits: np.ndarray) -> None:
    """gazetteer.Scanner.tags over cps[lo:hi] into out[lo:hi] as scanner codes; where a name
    begins (an odd code), hits holds its name id · 256 + its length."""
    level, prefixes, starters = names[3], names[5], names[6]
    out[lo:hi] = 0
    i = lo
    while i < hi - 1:
        cp = cps[i]
        if not (starters[cp >> 6] >> np.uint64(cp & 63)) & np.uint64(1):
            i += 1  # no scanner name starts with this character
            continue
        lengths = _find(prefixes, (np.int64(cp) << 21) | np.int64(cps[i + 1]))
        j = i
        while lengths >> (j - i + 1) and j < hi:  # up to the longest name with this start
            j += 1
        h = np.uint64(0)  # the hash of cps[i:j], then of each shorter prefix in turn
        for k in range(i, j):
            h = h * np.uint64(_HASH_MULT) + np.uint64(cps[k])
        while j > i + 1:
            nid = -1
            if lengths >> (j - i) & 1:  # only the lengths some name with this start has
                nid = _hashed_name(names, h, j - i, cps, i, j, False)
            h = (h - np.uint64(cps[j - 1])) * np.uint64(_HASH_INVERSE)
            if nid >= 0 and level[nid] >= 0 and not _road_after(cps, j, hi):
                out[i] = 1 + 2 * level[nid]
                hits[i] = nid << 8 | (j - i)
                out[i + 1:j] = 2 + 2 * level[nid]
                break
            j -= 1
        i = j if j > i + 1 else i + 1


# ---- the kernel: tagging ----------------------------------------------------------------------

@njit(cache=True, inline="always")
def _add_row(weights: np.ndarray, row: int, into: np.ndarray) -> None:
    if row:
        start = (row - 1) >> 6
        for k in range(start, start + ((row - 1) & 63)):
            into[np.int64(weights[k, 0])] += weights[k, 1]


@njit(cache=True)
def _emissions(model: tuple, ids: np.ndarray, codes: np.ndarray, out: np.ndarray,
               start: int) -> None:
    """State scores of one window into out[start:n]; ids are its character ids, two pads each
    side."""
    dense, pairs, skip, tri, weights = model[:5]
    n = len(ids) - 4
    after = _find(pairs, (ids[start + 1] << _BITS) | ids[start + 2])  # (c-1, c0) at start
    for t in range(start, n):
        s = out[t]
        c = t + 2
        # The look-ups first: their memory reads then overlap with the dense sum.
        before, after = after, _find(pairs, (ids[c] << _BITS) | ids[c + 1])
        skipped = _find(skip, (ids[c - 1] << _BITS) | ids[c + 1])
        trigram = _find(tri, (ids[c - 1] << 2 * _BITS) | (ids[c] << _BITS) | ids[c + 1])
        # The next position's slots, on their way into cache meanwhile (past the end: pads).
        _prefetch(pairs[_slot_of(pairs, (ids[c + 1] << _BITS) | ids[c + 2])], 0)
        _prefetch(skip[_slot_of(skip, (ids[c] << _BITS) | ids[c + 2])], 0)
        _prefetch(tri[_slot_of(tri, (ids[c] << 2 * _BITS) | (ids[c + 1] << _BITS) | ids[c + 2])],
                  0)
        q, p, o, nx, m = dense[ids[c - 2], 0], dense[ids[c - 1], 1], dense[ids[c], 4 + codes[t]], \
            dense[ids[c + 1], 2], dense[ids[c + 2], 3]
        for j in range(len(s)):
            s[j] = q[j] + p[j] + o[j] + nx[j] + m[j]
        _add_row(weights, before & 0xFFFFFFFF, s)  # b/B: the pair (c-1, c0)
        _add_row(weights, after >> 32, s)  # c/C: the pair (c0, c+1), next position's (c-1, c0)
        _add_row(weights, skipped, s)
        _add_row(weights, trigram, s)


@njit(cache=True, inline="always")
def _insert(x: float, t1: float, t2: float, t3: float) -> tuple[float, float, float]:
    """x into the three largest so far, t1 >= t2 >= t3: max and min only, so no branches."""
    h1, x1 = (t1, x) if t1 > x else (x, t1)
    h2, x2 = (t2, x1) if t2 > x1 else (x1, t2)
    return h1, h2, t3 if t3 > x2 else x2


@njit(cache=True, inline="always")
def _best_three(delta: np.ndarray, r: np.ndarray, keys: np.ndarray) -> tuple[int, int, float]:
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
def _viterbi(model: tuple, scores: np.ndarray, path: np.ndarray, hist: np.ndarray,
             keys: np.ndarray, start: int) -> None:
    """crfsuite's Viterbi over scores (n, L) into path (no start/end transitions; ties → lower).

    Forward, each label needs only the best score over its sources, not which source: the
    backward pass finds the source for the one label per position on the path, from the kept
    columns ``hist``. The forward max writes trans[i, j] = r[i] + (trans[i, j] - r[i]): but for
    the two sources with the largest trans[i, j] - r[i] into j ("strong"), that rest is at most
    bound_add[j]. Scoring the two best sources by delta + r and the strong sources, any other
    source reaches at most (third-best delta + r) + bound_add[j]; only a label where that
    bound is not beaten is maxed over all 37 sources. The first pass has no branches, so it
    runs at the processor's full width. Any r is exact; the shipped one (fit_source_terms, on
    training text) leaves a full max in about one step in seven.
    """
    trans, r, bound_add, strong0, strong1, strong0_trans, strong1_trans = model[5:12]
    n, n_labels = scores.shape
    shared = start
    if start == 0:
        hist[0, :] = scores[0]
        start = 1
    for t in range(start, n):
        delta, nxt = hist[t - 1], hist[t]
        u1, u2, bound = _best_three(delta, r, keys)  # bound: on delta + r of the others
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
    _backtrack(trans, hist[:n], path, shared)


@njit(cache=True)
def _backtrack(trans: np.ndarray, hist: np.ndarray, path: np.ndarray, shared: int) -> None:
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


@njit(cache=True)
def _tag_text(model: tuple, names: tuple, cps: np.ndarray, char_ids: np.ndarray, window: int,
              tags: np.ndarray, codes: np.ndarray, ids: np.ndarray, scores: np.ndarray,
              hits: np.ndarray, hist: np.ndarray, keys: np.ndarray, start: int) -> None:
    """Tags of one text, window by window as tagger.tag does (features and pre-pass per window).

    ``start`` -1: the pre-pass is still to run. Otherwise (one window only) the codes are
    there, and positions before ``start`` still hold the scores and Viterbi columns of the text
    before, which equal this text's there.
    """
    n = len(cps)
    pad_left, pad_right = char_ids[0x5E], char_ids[0x24]  # ^ and $
    for lo in range(0, n, window):
        hi = min(n, lo + window)
        size = hi - lo
        if start < 0:
            _scan(names, cps, lo, hi, codes, hits)
        ids[0] = ids[1] = pad_left
        ids[size + 2] = ids[size + 3] = pad_right
        for k in range(lo, hi):
            ids[k - lo + 2] = char_ids[cps[k]]
        _emissions(model, ids[:size + 4], codes[lo:hi], scores, max(start, 0))
        _viterbi(model, scores[:size], tags[lo:hi], hist, keys, max(start, 0))


@njit(cache=True)
def _shared_prefix(names: tuple, text: np.ndarray, codes: np.ndarray, hits: np.ndarray,
                   before: np.ndarray, before_codes: np.ndarray) -> int:
    """Positions whose state scores equal the previous text's: characters up to two to the
    right and the pre-pass codes must match. Scans ``text`` into ``codes``."""
    n = len(text)
    _scan(names, text, 0, n, codes, hits)
    common = 0
    limit = min(n, len(before))
    while common < limit and text[common] == before[common]:
        common += 1
    same = 0
    while same < common - 2 and codes[same] == before_codes[same]:
        same += 1
    return same


# ---- the kernel: spans --------------------------------------------------------------------------

@njit(cache=True)
def _bio_spans(text: np.ndarray, tags: np.ndarray, tag_kind: np.ndarray, tag_label: np.ndarray,
               space: np.ndarray, labels: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> int:
    """corpus.spans (a tag equal to the open span's I- continues it), blank spans dropped."""
    n = len(text)
    k = 0
    open_label = -1
    for i in range(n + 1):
        if i < n and open_label >= 0 and tag_kind[tags[i]] == 2 and \
                tag_label[tags[i]] == open_label:
            continue
        if open_label >= 0:
            for q in range(lo[k], i):
                if not _is_space(text[q], space):
                    hi[k] = i
                    k += 1
                    break
            open_label = -1
        if i < n and tag_kind[tags[i]] != 0:
            open_label = tag_label[tags[i]]
            labels[k], lo[k] = open_label, i
    return k


@njit(cache=True)
def _snap_admin(names: tuple, text: np.ndarray, codes: np.ndarray, hits: np.ndarray,
                flags: np.ndarray,
                labels: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int,
                scanned: bool) -> None:
    """parse._snap_admin: an admin span that is no known name and ends inside a gazetteer hit
    that runs into the next span is moved to the hit's end. ``scanned``: ``codes`` already hold
    the pre-pass over the whole text (a text of one window); otherwise it runs here if needed."""
    for i in range(k - 1):
        if not flags[labels[i]] & _SNAP or \
                _span_name(names, text, codes, hits, lo[i], hi[i], False) >= 0:
            continue
        if not scanned:
            _scan(names, text, 0, len(text), codes, hits)
            scanned = True
        end = lo[i] + 1
        while end < len(text) and codes[end] > 0 and codes[end] % 2 == 0:
            end += 1
        begins = codes[lo[i]] > 0 and codes[lo[i]] % 2 == 1
        if begins and hi[i] < end < hi[i + 1] and lo[i + 1] == hi[i]:
            hi[i] = end
            lo[i + 1] = end


@njit(cache=True)
def _is_room(cps: np.ndarray, lo: int, hi: int) -> bool:
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
def _emit(names: tuple, text: np.ndarray, codes: np.ndarray, hits: np.ndarray,
          s_lab: np.ndarray, s_lo: np.ndarray,
          s_hi: np.ndarray, k: int, flags: np.ndarray, label_level: np.ndarray, room_label: int,
          labels: np.ndarray, lo_out: np.ndarray, hi_out: np.ndarray, count: int,
          m_level: np.ndarray, m_name: np.ndarray, zone_lo: np.ndarray,
          zone_hi: np.ndarray) -> tuple[int, int, int, bool]:
    """Write the spans out, each with the room after it (parse._with_rooms), and collect the
    admin mentions with a gazetteer name and the devzones. Returns (rows written so far,
    mentions, devzones, whether a district or city was labelled)."""
    n_m, zones, district_or_city = 0, 0, False
    for i in range(k):
        label = s_lab[i]
        labels[count], lo_out[count], hi_out[count] = label, s_lo[i], s_hi[i]
        count += 1
        if flags[label] & _ADMIN:
            district_or_city |= flags[label] & _DISTRICT_OR_CITY != 0
            nid = _span_name(names, text, codes, hits, s_lo[i], s_hi[i], True)
            if nid >= 0:
                if n_m < _MAX_MENTIONS:
                    m_level[n_m], m_name[n_m] = label_level[label], nid
                n_m += 1
        elif flags[label] & _DEVZONE:
            zone_lo[zones], zone_hi[zones] = s_lo[i], s_hi[i]
            zones += 1
        gap_end = s_lo[i + 1] if i + 1 < k else len(text)
        if flags[label] & _ROOM_AFTER and gap_end > s_hi[i] and _is_room(text, s_hi[i], gap_end):
            labels[count], lo_out[count], hi_out[count] = room_label, s_hi[i], gap_end
            count += 1
    return count, n_m, zones, district_or_city


# ---- the kernel: code resolution ---------------------------------------------------------------

@njit(cache=True)
def _devzone_places(names: tuple, units: tuple, text: np.ndarray, zone_lo: np.ndarray,
                    zone_hi: np.ndarray, zones: int, buf: np.ndarray, m_level: np.ndarray,
                    m_name: np.ndarray, n_m: int) -> int:
    """resolve._devzone_place for each devzone (青浦工业园区 → district 青浦): mentions added."""
    prop_ptr, space = units[3], names[4]
    for z in range(zones):
        size = 0
        for q in range(zone_lo[z], zone_hi[z]):
            if not _is_space(text[q], space):
                buf[size] = text[q]
                size += 1
        for prefix in (4, 3, 2):
            nid = _name_id(names, buf, 0, min(prefix, size), False)
            if nid < 0:
                continue
            level = -1
            if prop_ptr[nid * 5 + 2] < prop_ptr[nid * 5 + 3]:
                level = 2  # district
            elif prop_ptr[nid * 5 + 1] < prop_ptr[nid * 5 + 2]:
                level = 1  # city
            if level >= 0:
                if n_m < _MAX_MENTIONS:
                    m_level[n_m], m_name[n_m] = level, nid
                n_m += 1
                break
    return n_m


@njit(cache=True)
def _proposals(units: tuple, m_level: np.ndarray, m_name: np.ndarray, n_m: int,
               mark: np.ndarray, cand: np.ndarray, cand_mask: np.ndarray,
               m_bits: np.ndarray) -> int:
    """resolve._proposals of every mention: candidate units with the mask of the mentions
    proposing each (``mark`` maps a unit to its candidate number + 1), and per mention the bit
    set of its units' levels. Returns the number of candidates."""
    unit_level, prop_ptr, prop_units = units[1], units[3], units[4]
    n_c = 0
    for m in range(n_m):
        base = m_name[m] * 5
        own_empty = prop_ptr[base + m_level[m]] == prop_ptr[base + m_level[m] + 1]
        bits = 0
        for level in range(5):  # its own level, or when it has none there, all the others
            if (level == m_level[m]) == own_empty:
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
def _resolve(units: tuple, m_level: np.ndarray, m_name: np.ndarray, n_m: int,
             mark: np.ndarray, cand: np.ndarray, cand_mask: np.ndarray,
             m_bits: np.ndarray) -> int:
    """resolve._resolve: the unit whose chain explains the most mentions, then contradicts the
    fewest, is deepest, is nearest home, has the lowest code; -1 for none. ``mark`` is all zero
    before and after."""
    parent, unit_level, home = units[0], units[1], units[2]
    n_c = _proposals(units, m_level, m_name, n_m, mark, cand, cand_mask, m_bits)
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


@njit(cache=True, inline="always")
def _same(a: np.ndarray, b: np.ndarray) -> bool:
    if len(a) != len(b):
        return False
    for k in range(len(a)):  # noqa: SIM110 (a plain loop compiles to the tightest code)
        if a[k] != b[k]:
            return False
    return True


# ---- the kernel: the batch ----------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _parse_all(model: tuple, names: tuple, units: tuple, char_ids: np.ndarray,
               tag_kind: np.ndarray, tag_label: np.ndarray, flags: np.ndarray,
               label_level: np.ndarray, room_label: int, cps: np.ndarray, starts: np.ndarray,
               order: np.ndarray, window: int, mark: np.ndarray, cand: np.ndarray,
               cand_mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Spans (rows first[i]:last[i] of labels, starts, ends) and the resolved unit of each text.

    Texts are taken in ``order`` (sorted): one equal to the text before shares its rows, one
    sharing a prefix with it starts its Viterbi pass where they part. ``mark`` (all zero),
    ``cand`` and ``cand_mask`` are the resolver's scratch, one slot per unit.
    """
    n_texts, total = len(starts) - 1, starts[-1]
    first_row = np.zeros(n_texts, dtype=np.int64)
    last_row = np.zeros(n_texts, dtype=np.int64)
    labels = np.empty(2 * total + 1, dtype=np.int8)  # a text has at most one span and one room
    lo_out = np.empty(2 * total + 1, dtype=np.int32)  # per character
    hi_out = np.empty(2 * total + 1, dtype=np.int32)
    winner = np.full(n_texts, -1, dtype=np.int32)
    m_level = np.empty(_MAX_MENTIONS, dtype=np.int64)
    m_name = np.empty(_MAX_MENTIONS, dtype=np.int64)
    m_bits = np.empty(_MAX_MENTIONS, dtype=np.int64)
    longest = 1
    for a in range(n_texts):
        longest = max(longest, starts[a + 1] - starts[a])
    tags = np.empty(longest, dtype=np.int64)
    codes = np.empty(longest, dtype=np.int64)
    before_codes = np.empty(longest, dtype=np.int64)
    hits = np.empty(longest, dtype=np.int64)
    s_lab = np.empty(longest, dtype=np.int64)
    s_lo = np.empty(longest, dtype=np.int64)
    s_hi = np.empty(longest, dtype=np.int64)
    zone_lo = np.empty(longest, dtype=np.int64)
    zone_hi = np.empty(longest, dtype=np.int64)
    buf = np.empty(longest, dtype=np.int64)
    ids = np.empty(window + 4, dtype=np.int64)
    n_labels = model[5].shape[0]
    scores = np.empty((window, n_labels))
    hist = np.empty((window, n_labels))
    keys = np.empty(n_labels + 2)  # _best_three's scratch
    count = 0
    before = cps[0:0]  # the text before, while its Viterbi columns are in the buffers
    previous = -1
    for a in order:
        text = cps[starts[a]:starts[a + 1]]
        n = len(text)
        if previous >= 0 and _same(text, cps[starts[previous]:starts[previous + 1]]):
            first_row[a], last_row[a] = first_row[previous], last_row[previous]
            winner[a] = winner[previous]
            continue
        previous = a
        start = -1  # the pre-pass is still to run
        if 0 < n <= window and len(before):
            start = _shared_prefix(names, text, codes, hits, before, before_codes)
        _tag_text(model, names, text, char_ids, window, tags, codes, ids, scores, hits, hist,
                  keys, start)
        before = text if n <= window else cps[0:0]
        before_codes[:n] = codes[:n]
        k = _bio_spans(text, tags, tag_kind, tag_label, names[4], s_lab, s_lo, s_hi)
        _snap_admin(names, text, codes, hits, flags, s_lab, s_lo, s_hi, k, n <= window)
        first_row[a] = count
        count, n_m, zones, district_or_city = _emit(
            names, text, codes, hits, s_lab, s_lo, s_hi, k, flags, label_level, room_label,
            labels, lo_out, hi_out, count, m_level, m_name, zone_lo, zone_hi)
        last_row[a] = count
        if not district_or_city:
            n_m = _devzone_places(names, units, text, zone_lo, zone_hi, zones, buf, m_level,
                                  m_name, n_m)
        if n_m > _MAX_MENTIONS:
            winner[a] = -2  # more mentions than a mask holds: resolve.py does it
        elif n_m:
            winner[a] = _resolve(units, m_level, m_name, n_m, mark, cand, cand_mask, m_bits)
    return first_row, last_row, labels[:count], lo_out[:count], hi_out[:count], winner


@njit(cache=True)
def _columns(model: tuple, names: tuple, char_ids: np.ndarray, cps: np.ndarray,
             starts: np.ndarray, out: np.ndarray) -> int:
    """Viterbi columns (the forward scores before the last position) of one-window texts into
    out, as many as fit; returns how many."""
    n_labels = model[5].shape[0]
    longest = 1
    for a in range(len(starts) - 1):
        longest = max(longest, starts[a + 1] - starts[a])
    codes = np.zeros(longest, dtype=np.int64)
    hits = np.zeros(longest, dtype=np.int64)
    ids = np.empty(longest + 4, dtype=np.int64)
    tags = np.empty(longest, dtype=np.int64)
    scores = np.empty((longest, n_labels))
    hist = np.empty((longest, n_labels))
    keys = np.empty(n_labels + 2)
    count = 0
    for a in range(len(starts) - 1):
        text = cps[starts[a]:starts[a + 1]]
        n = len(text)
        if n < 2 or count + n - 1 > len(out):
            continue
        _tag_text(model, names, text, char_ids, longest, tags, codes, ids, scores, hits, hist,
                  keys, -1)
        out[count:count + n - 1] = hist[:n - 1]
        count += n - 1
    return count


@njit(cache=True, inline="always")
def _char_at(cps: np.ndarray, starts: np.ndarray, text: int, depth: int) -> int:
    """Code point ``depth`` of text ``text``; -1 past its end."""
    k = starts[text] + depth
    return np.int64(cps[k]) if k < starts[text + 1] else -1


@njit(cache=True)
def _insertion_sort(cps: np.ndarray, starts: np.ndarray, order: np.ndarray, lo: int, hi: int,
                    depth: int) -> None:
    """order[lo:hi] sorted, the texts there being equal before ``depth``."""
    for i in range(lo + 1, hi):
        x = order[i]
        j = i
        while j > lo:
            y = order[j - 1]
            d = depth
            while True:
                a, b = _char_at(cps, starts, y, d), _char_at(cps, starts, x, d)
                if a != b or a < 0:
                    break
                d += 1
            if a <= b:
                break
            order[j] = y
            j -= 1
        order[j] = x


@njit(cache=True)
def _text_order(cps: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The texts' indices in code point order (multikey quicksort: three-way partitions on one
    character at a time, so a shared prefix is compared once, not at every comparison)."""
    n = len(starts) - 1
    order = np.arange(n)
    stack = [(0, n, 0)]
    while stack:
        lo, hi, depth = stack.pop()
        if hi - lo < 2:
            continue
        if hi - lo <= 8:
            _insertion_sort(cps, starts, order, lo, hi, depth)
            continue
        pivot = _char_at(cps, starts, order[(lo + hi) // 2], depth)
        lt, i, gt = lo, lo, hi
        while i < gt:
            c = _char_at(cps, starts, order[i], depth)
            if c < pivot:
                order[lt], order[i] = order[i], order[lt]
                lt += 1
                i += 1
            elif c > pivot:
                gt -= 1
                order[i], order[gt] = order[gt], order[i]
            else:
                i += 1
        stack.append((lo, lt, depth))
        stack.append((gt, hi, depth))
        if pivot >= 0:
            stack.append((lt, gt, depth + 1))
    return order


# ---- Python side ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    """The kernel's answer for a list of texts: spans as arrays, one resolved unit per text."""

    first: np.ndarray  # spans of text i are rows first[i]:last[i]
    last: np.ndarray
    labels: np.ndarray  # index into tagger.LABELS
    starts: np.ndarray
    ends: np.ndarray
    units: np.ndarray  # index into Tables.unit_codes; -1 none, -2 left to resolve.py


@cache
def _feature_fold_table() -> np.ndarray:
    from address.text.normalize import _FEATURE_TABLE

    table = np.arange(0x110000, dtype=np.uint32)
    for cp, folded in _FEATURE_TABLE.items():
        table[cp] = ord(folded)  # the fold is one character to one
    return table


_SCRATCH = threading.local()  # the resolver's scratch arrays, one set per thread


def _scratch(n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if getattr(_SCRATCH, "n_units", None) != n_units:
        _SCRATCH.n_units = n_units
        _SCRATCH.arrays = (np.zeros(n_units, dtype=np.int64), np.empty(n_units, dtype=np.int64),
                           np.empty(n_units, dtype=np.uint64))
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray] = _SCRATCH.arrays
    return arrays


_ROOM = LABELS.index("roomno")


def run(texts: list[str], path: str) -> Batch:
    """Parse the already cut texts with the model at ``path``."""
    return run_with(texts, tables(path))


def _code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' folded code points end to end, and where each text starts (one more)."""
    raw = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=starts[1:])
    return _feature_fold_table()[raw], starts  # normalize.feature_fold, as one gather


def run_with(texts: list[str], tb: Tables) -> Batch:
    """run() with the given tables."""
    cps, starts = _code_points(texts)
    order = np.zeros(1, dtype=np.int64) if len(texts) == 1 else _text_order(cps, starts)
    result: Any = _parse_all(tb.model, tb.names, tb.units, tb.char_ids, tb.tag_kind,
                             tb.tag_label, tb.label_flags, tb.label_level, _ROOM, cps, starts,
                             order, MAX_CHARS, *_scratch(len(tb.unit_codes)))
    return Batch(*result)


def write_source_terms(path: str, texts: list[str], limit: int = 60_000) -> Path:
    """Fit _viterbi's source terms for the model at ``path`` on Viterbi columns of ``texts``
    (training text) and write them next to the model."""
    tb = tables(path)
    r = fit_source_terms(tb.model[5], viterbi_columns(texts, path, limit))
    out = source_terms_path(path)
    out.write_text(json.dumps({
        "model_sha256": _digest(path),
        "r": {tag: float(value) for tag, value in zip(tb.crf_tags, r, strict=True)},
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def viterbi_columns(texts: list[str], path: str, limit: int) -> np.ndarray:
    """Up to ``limit`` Viterbi columns of the texts (those of MAX_CHARS or fewer), to fit r."""
    tb = tables(path)
    cps, starts = _code_points([t for t in texts if len(t) <= MAX_CHARS])
    out = np.empty((limit, tb.model[5].shape[0]))
    count = _columns(tb.model, tb.names, tb.char_ids, cps, starts, out)
    return out[:count]
