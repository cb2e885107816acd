"""Compiled parsing: the shipped CRF, the gazetteer pre-pass and the span rules in one numba kernel.

:mod:`address.parse` states the parser in plain Python on top of python-crfsuite; that version is
the reference. This module computes the same result for many addresses in one call of compiled
code, because per character the Python version spends its time building feature strings that
crfsuite then looks up one by one.

Here each folded character maps to a small id, and the model's weights are regrouped by what a
template reads: the five one-character templates (u/U, p, n, q, m) become dense per-character
vectors, the templates over two or three characters (b/B, c/C, s, t/T) hashed rows, and the
gazetteer tag templates (g, h) small tables. Viterbi scores a few candidate predecessors per label
and proves the others cannot win, falling back to all 37 when it cannot (see ``_viterbi``), so
the tags are pycrfsuite's; only the order of float additions differs (bench/parse_speed.py counts
the agreement with the reference on every run).

The kernel also runs the dictionary pre-pass (``gazetteer.Scanner``), turns BIO tags into spans,
applies ``parse``'s two rules (snap an admin span to the gazetteer name it cuts; a number after a
building part is a room), and looks up every admin span's name. Each address leaves with its spans
as offsets and a 64-bit signature of what code resolution reads, so the (Python) resolver runs once
per distinct signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pycrfsuite
from numba import njit

from address.gazetteer import LEVELS, all_names, load, scanner
from address.tagger import LABELS, MAX_CHARS, PAD_LEFT, PAD_RIGHT

_BITS = 14  # bits per character id in a packed key; the shipped model has ~2,100 characters
_OFFSETS = {"q": 0, "p": 1, "u": 2, "U": 2, "n": 3, "m": 4}  # one-character templates → slot
_PAIR_AS_SECOND = "bB"  # (c-1, c0): the pair's row for the second character
_PAIR_AS_FIRST = "cC"  # (c0, c+1): the pair's row for the first character
_HASH_MULT = 1000003
_MASK64 = (1 << 64) - 1
_TOP = 1 << 63
_ROOM_AFTER = ("houseno", "cellno", "floorno", "roadno", "poi", "subpoi")
_SNAP = ("prov", "city", "district", "town")
_RESOLVABLE = (*LEVELS, "devzone")


@dataclass(frozen=True)
class Tables:
    """Everything the kernel reads, as arrays (built once per process from the crfsuite model)."""

    char_ids: np.ndarray  # int32 per code point; 0: not in the model
    uni_rows: np.ndarray  # int32 (5, chars): row of the one-character templates at -2..+2
    pair_keys: np.ndarray  # uint64 hash table of (id, id) keys
    pair_rows: np.ndarray  # int32 (slots, 2): row as (c-1, c0) and as (c0, c+1); -1 none
    skip_keys: np.ndarray  # (c-1, c+1)
    skip_rows: np.ndarray
    tri_keys: np.ndarray  # (c-1, c0, c+1)
    tri_rows: np.ndarray
    gaz_rows: np.ndarray  # int32 (11,): row of the g template per scanner code
    h_rows: np.ndarray  # int32 (11, chars): row of the h template (scanner code, c0)
    row_labels: np.ndarray  # int64: sparse rows; a row is start · 64 + length, -1 none
    row_weights: np.ndarray  # float64
    trans: np.ndarray  # float64 (L, L), from → to
    trans_source: np.ndarray  # float64 (L,): trans ≈ source term + target term (_viterbi)
    trans_target: np.ndarray  # float64 (L,)
    trans_eps: np.ndarray  # float64 (L,): largest residual into a label from a non-strong source
    trans_strong: np.ndarray  # int64 (L, 2): the two sources with the largest residuals
    tag_kind: np.ndarray  # int8 (L,): 0 O, 1 B-, 2 I-
    tag_label: np.ndarray  # int64 (L,): index into LABELS
    name_keys: np.ndarray  # uint64 hash table over every gazetteer name
    name_ids: np.ndarray  # int32 per slot; -1 empty
    name_chars: np.ndarray  # int32: the names' code points, for verifying a hash hit
    name_ptr: np.ndarray  # int64
    name_level: np.ndarray  # int8 per name: scanner level (index in LEVELS) or -1
    prefix_keys: np.ndarray  # uint64: first two code points of scanner names
    prefix_len: np.ndarray  # int32 per slot: longest scanner name with that start; -1 empty
    space: np.ndarray  # bool per code point below 0x3001: str.isspace
    label_flags: np.ndarray  # int8 per label: 1 snap, 2 room after, 4 admin, 8 devzone, 16 区/市
    names: tuple[str, ...]  # name id → name
    unit_codes: tuple[str, ...]  # gazetteer units sorted by code
    unit_parent: np.ndarray  # int32 index of the parent unit, -1 at the top
    unit_level: np.ndarray  # int8 index in LEVELS
    unit_home: np.ndarray  # int8: 2 in 青浦, 1 elsewhere in Shanghai, 0 (resolve._home_rank)
    prop_ptr: np.ndarray  # int64 CSR over name id · 5 + level → units
    prop_units: np.ndarray  # int32
    label_level: np.ndarray  # int64 per label: index in LEVELS, -1 for other labels

    @property
    def kernel_model(self) -> tuple[np.ndarray, ...]:
        return (self.uni_rows, self.pair_keys, self.pair_rows, self.skip_keys, self.skip_rows,
                self.tri_keys, self.tri_rows, self.row_labels, self.row_weights, self.gaz_rows,
                self.h_rows, self.trans, self.trans_source, self.trans_target, self.trans_eps,
                self.trans_strong)

    @property
    def kernel_names(self) -> tuple[np.ndarray, ...]:
        return (self.name_keys, self.name_ids, self.name_chars, self.name_ptr, self.name_level,
                self.space, self.prefix_keys, self.prefix_len)

    @property
    def kernel_units(self) -> tuple[np.ndarray, ...]:
        return (self.unit_parent, self.unit_level, self.unit_home, self.prop_ptr,
                self.prop_units)


def _mix(x: int) -> int:
    """splitmix64 finalizer (the same arithmetic as ``_mix64`` in the kernel)."""
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    x = (x ^ (x >> 27)) * 0x94D049BB133111EB & _MASK64
    return x ^ (x >> 31)


def _text_hash(text: str) -> int:
    h = 0
    for ch in text:
        h = (h * _HASH_MULT + ord(ch)) & _MASK64
    return h


def _hash_table(keys: list[int], values: list[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Open addressing with linear probing; every stored key has its top bit set, 0 is empty."""
    values = np.asarray(values)
    size = 1 << max(4, (2 * len(keys)).bit_length())
    table_keys = np.zeros(size, dtype=np.uint64)
    table_values = np.full((size, *values.shape[1:]), -1, dtype=np.int32)
    for key, value in zip(keys, values, strict=True):
        key |= _TOP
        slot = _mix(key) & (size - 1)
        while table_keys[slot]:
            slot = (slot + 1) & (size - 1)
        table_keys[slot] = key
        table_values[slot] = value
    return table_keys, table_values


def _scanner_codes() -> dict[str, int]:
    """Scanner tag → small code: O 0, B<level> 1 + 2·level, I<level> 2 + 2·level."""
    codes = {"O": 0}
    for i, level in enumerate(LEVELS):
        codes["B" + level], codes["I" + level] = 1 + 2 * i, 2 + 2 * i
    return codes


def _name_tables(chars: dict[str, int]) -> dict[str, object]:
    scan = scanner()
    names = sorted(all_names())
    levels = [LEVELS.index(scan.names[n]) if n in scan.names else -1 for n in names]
    keys, ids = _hash_table([_text_hash(n) for n in names], list(range(len(names))))
    flat = [ord(ch) for n in names for ch in n]
    ptr = np.cumsum([0] + [len(n) for n in names])
    starts = {(ord(p[0]) << 21) | ord(p[1]): length for p, length in scan.prefixes.items()
              if len(p) == 2}
    prefix_keys, prefix_len = _hash_table(list(starts), list(starts.values()))
    return {"name_keys": keys, "name_ids": ids, "name_chars": np.array(flat, dtype=np.int32),
            "name_ptr": ptr.astype(np.int64), "name_level": np.array(levels, dtype=np.int8),
            "prefix_keys": prefix_keys, "prefix_len": prefix_len, "names": tuple(names),
            **_unit_tables(names)}


def _unit_tables(names: list[str]) -> dict[str, object]:
    """Gazetteer units in code order (so a lower index is a lower code) and, per name and level,
    the units of that level carrying the name (resolve.py's proposals)."""
    gaz = load()
    codes = sorted(gaz.units)
    index = {code: i for i, code in enumerate(codes)}
    parent = [index.get(gaz.units[c].parent, -1) for c in codes]
    level = [LEVELS.index(gaz.units[c].level) for c in codes]
    home = [2 if c.startswith("310118") else 1 if c.startswith("31") else 0 for c in codes]
    lists = [[index[c] for c in gaz.by_name[lv].get(name, ())] for name in names for lv in LEVELS]
    return {"unit_codes": tuple(codes), "unit_parent": np.array(parent, dtype=np.int32),
            "unit_level": np.array(level, dtype=np.int8), "unit_home": np.array(home, dtype=np.int8),
            "prop_ptr": np.cumsum([0] + [len(x) for x in lists]).astype(np.int64),
            "prop_units": np.array([u for x in lists for u in x], dtype=np.int32)}


def _split_transitions(trans: np.ndarray) -> tuple[np.ndarray, ...]:
    """trans[i, j] = r[i] + c[j] + residual (medians, alternately), the two largest residuals
    into each label ("strong"), and eps: the largest other residual, with a margin over float
    rounding so that the bound in _viterbi always holds."""
    r, c = np.zeros(len(trans)), np.zeros(len(trans))
    for _ in range(20):
        c = np.median(trans - r[:, None], axis=0)
        r = np.median(trans - c[None, :], axis=1)
    residual = trans - r[:, None] - c[None, :]
    order = np.argsort(-residual, axis=0, kind="stable")
    eps = np.take_along_axis(residual, order[2:3], axis=0)[0] + 1e-9
    return r, c, eps, order[:2].T.astype(np.int64).copy()


@cache
def tables(path: str) -> Tables:
    """The crfsuite model at ``path`` regrouped for the kernel (a couple of seconds per process)."""
    info = pycrfsuite.Tagger()
    info.open(path)
    model = info.info()
    tags = tuple(sorted(model.labels, key=model.labels.__getitem__))
    index = {tag: i for i, tag in enumerate(tags)}
    n_labels = len(tags)
    chars: dict[str, int] = {}

    def cid(ch: str) -> int:
        return chars.setdefault(ch, len(chars) + 1)

    scan_codes = _scanner_codes()
    rows: list[dict[int, float]] = []
    keyed: dict[tuple[str, tuple[int, ...]], int] = {}  # (kind, ids) → row

    def row(kind: str, ids: tuple[int, ...]) -> dict[int, float]:
        if (kind, ids) not in keyed:
            keyed[kind, ids] = len(rows)
            rows.append({})
        return rows[keyed[kind, ids]]

    for (attr, tag), weight in model.state_features.items():
        letter, rest = attr[0], attr[1:]
        label = index[tag]
        if letter in _OFFSETS and len(rest) == 1:
            target = row("u", (_OFFSETS[letter], cid(rest)))
        elif letter in "bBcCs" and len(rest) == 2:
            kind = "b" if letter in _PAIR_AS_SECOND else "c" if letter in _PAIR_AS_FIRST else "s"
            target = row(kind, (cid(rest[0]), cid(rest[1])))
        elif letter in "tT" and len(rest) == 3:
            target = row("t", (cid(rest[0]), cid(rest[1]), cid(rest[2])))
        elif letter == "g" and rest in scan_codes:
            target = row("g", (scan_codes[rest],))
        elif letter == "h" and rest[:-1] in scan_codes and rest:
            target = row("h", (scan_codes[rest[:-1]], cid(rest[-1])))
        else:
            continue  # the NAACL copies (V/E/F/W): never generated when parsing
        target[label] = target.get(label, 0.0) + weight
    for ch in PAD_LEFT + PAD_RIGHT:
        cid(ch)
    if len(chars) >= 1 << _BITS:
        raise ValueError("too many distinct characters for the packed keys")

    n_chars = len(chars) + 1
    char_ids = np.zeros(0x110000, dtype=np.int32)
    char_ids[[ord(ch) for ch in chars]] = list(chars.values())
    indptr = np.cumsum([0] + [len(r) for r in rows]).tolist()
    packed = [start * 64 + len(r) for start, r in zip(indptr, rows, strict=False)]  # len ≤ 37
    row_labels = np.array([lab for r in rows for lab in r], dtype=np.int64)
    row_weights = np.array([w for r in rows for w in r.values()], dtype=np.float64)

    def pack(ids: tuple[int, ...]) -> int:
        key = 0
        for value in ids:
            key = (key << _BITS) | value
        return key

    pairs: dict[int, list[int]] = {}
    for (kind, ids), r in keyed.items():
        if kind in "bc":
            pairs.setdefault(pack(ids), [-1, -1])["bc".index(kind)] = packed[r]
    pair_keys, pair_rows = _hash_table(list(pairs), np.array(list(pairs.values()),
                                                            dtype=np.int64).reshape(-1, 2))
    skip = {pack(ids): packed[r] for (kind, ids), r in keyed.items() if kind == "s"}
    skip_keys, skip_rows = _hash_table(list(skip), list(skip.values()))
    tri = {pack(ids): packed[r] for (kind, ids), r in keyed.items() if kind == "t"}
    tri_keys, tri_rows = _hash_table(list(tri), list(tri.values()))
    uni_rows = np.full((5, n_chars), -1, dtype=np.int32)
    gaz_rows = np.full(len(scan_codes), -1, dtype=np.int32)
    h_rows = np.full((len(scan_codes), n_chars), -1, dtype=np.int32)
    for (kind, ids), r in keyed.items():
        if kind == "u":
            uni_rows[ids] = packed[r]
        elif kind == "g":
            gaz_rows[ids[0]] = packed[r]
        elif kind == "h":
            h_rows[ids] = packed[r]

    trans = np.zeros((n_labels, n_labels))
    for (src, dst), weight in model.transitions.items():
        trans[index[src], index[dst]] = weight
    r, c, eps, strong = _split_transitions(trans)

    space = np.array([chr(cp).isspace() for cp in range(0x3001)], dtype=np.bool_)
    flags = np.zeros(len(LABELS), dtype=np.int8)
    for i, label in enumerate(LABELS):
        flags[i] = ((label in _SNAP) | (label in _ROOM_AFTER) << 1 | (label in LEVELS) << 2
                    | (label == "devzone") << 3 | (label in ("district", "city")) << 4)
    return Tables(
        char_ids=char_ids, uni_rows=uni_rows, pair_keys=pair_keys, pair_rows=pair_rows,
        skip_keys=skip_keys, skip_rows=skip_rows, tri_keys=tri_keys, tri_rows=tri_rows,
        gaz_rows=gaz_rows, h_rows=h_rows, row_labels=row_labels, row_weights=row_weights,
        trans=trans, trans_source=r, trans_target=c, trans_eps=eps, trans_strong=strong,
        tag_kind=np.array([0 if t == "O" else 1 if t[0] == "B" else 2 for t in tags],
                          dtype=np.int8),
        tag_label=np.array([LABELS.index(t[2:]) if t != "O" else -1 for t in tags],
                           dtype=np.int64),
        space=space, label_flags=flags, **_name_tables(chars),  # type: ignore[arg-type]
        label_level=np.array([LEVELS.index(lb) if lb in LEVELS else -1 for lb in LABELS],
                             dtype=np.int64),
    )


# ---- the kernel -------------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _mix64(x: np.uint64) -> np.uint64:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, inline="always")
def _slot(keys: np.ndarray, key: np.uint64) -> int:
    """Slot holding ``key`` in a table made by ``_hash_table``, -1 when absent."""
    key |= np.uint64(1 << 63)
    mask = np.int64(len(keys) - 1)
    slot = np.int64(_mix64(key) & np.uint64(mask))  # uint64 mixed with int64 would be float64
    while keys[slot]:
        if keys[slot] == key:
            return slot
        slot = (slot + 1) & mask
    return -1


@njit(cache=True)
def _pair_key(a: int, b: int) -> np.uint64:
    return np.uint64((a << 14) | b)


@njit(cache=True)
def _name_id(t: tuple, cps: np.ndarray, lo: int, hi: int, skip_space: bool) -> int:  # type: ignore[type-arg]
    """Id of the gazetteer name spelled by cps[lo:hi] (spaces dropped if asked), else -1."""
    name_keys, name_ids, name_chars, name_ptr, space = t[0], t[1], t[2], t[3], t[5]
    h = np.uint64(0)
    length = 0
    for k in range(lo, hi):
        cp = cps[k]
        if skip_space and cp < 0x3001 and space[cp]:
            continue
        h = h * np.uint64(1000003) + np.uint64(cp)
        length += 1
    if length == 0:
        return -1
    slot = _slot(name_keys, h)
    if slot < 0:
        return -1
    nid = name_ids[slot]
    start = name_ptr[nid]
    if name_ptr[nid + 1] - start != length:
        return -1
    j = start
    for k in range(lo, hi):
        cp = cps[k]
        if skip_space and cp < 0x3001 and space[cp]:
            continue
        if name_chars[j] != cp:
            return -1
        j += 1
    return nid


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
def _scan(t: tuple, cps: np.ndarray, lo: int, hi: int, out: np.ndarray) -> None:  # type: ignore[type-arg]
    """gazetteer.Scanner.tags over cps[lo:hi] into out[lo:hi] as scanner codes."""
    name_level, prefix_keys, prefix_len = t[4], t[6], t[7]
    out[lo:hi] = 0
    i = lo
    while i < hi - 1:
        slot = _slot(prefix_keys, np.uint64((cps[i] << 21) | cps[i + 1]))
        if slot < 0:
            i += 1
            continue
        j = min(hi, i + prefix_len[slot])
        while j > i + 1:
            nid = _name_id(t, cps, i, j, False)
            if nid >= 0 and name_level[nid] >= 0 and not _road_after(cps, j, hi):
                level = name_level[nid]
                out[i] = 1 + 2 * level
                out[i + 1:j] = 2 + 2 * level
                break
            j -= 1
        i = j if j > i + 1 else i + 1


@njit(cache=True, inline="always")
def _add_row(labels: np.ndarray, weights: np.ndarray, row: int, into: np.ndarray) -> None:
    if row >= 0:
        start = row >> 6
        for k in range(start, start + (row & 63)):
            into[labels[k]] += weights[k]


@njit(cache=True)
def _emissions(m: tuple, ids: np.ndarray, codes: np.ndarray, out: np.ndarray,  # type: ignore[type-arg]
               start: int) -> None:
    """State scores of one window into out[start:n]; ids are its character ids, two pads each
    side."""
    uni_rows, pair_keys, pair_rows, skip_keys, skip_rows, tri_keys, tri_rows = m[:7]
    labels, weights, gaz_rows, h_rows = m[7:11]
    n = len(ids) - 4
    n_labels = out.shape[1]
    after = _slot(pair_keys, _pair_key(ids[start + 1], ids[start + 2]))  # (c-1, c0) at start
    for t in range(start, n):
        s = out[t]
        c = t + 2
        s[:] = 0.0
        for offset in range(5):
            _add_row(labels, weights, uni_rows[offset, ids[c - 2 + offset]], s)
        if after >= 0:
            _add_row(labels, weights, pair_rows[after, 0], s)
        after = _slot(pair_keys, _pair_key(ids[c], ids[c + 1]))  # (c0, c+1), next (c-1, c0)
        if after >= 0:
            _add_row(labels, weights, pair_rows[after, 1], s)
        slot = _slot(skip_keys, _pair_key(ids[c - 1], ids[c + 1]))
        if slot >= 0:
            _add_row(labels, weights, skip_rows[slot], s)
        slot = _slot(tri_keys, np.uint64((ids[c - 1] << 28) | (ids[c] << 14) | ids[c + 1]))
        if slot >= 0:
            _add_row(labels, weights, tri_rows[slot], s)
        _add_row(labels, weights, gaz_rows[codes[t]], s)
        _add_row(labels, weights, h_rows[codes[t], ids[c]], s)


@njit(cache=True)
def _viterbi(m: tuple, scores: np.ndarray, path: np.ndarray, hist: np.ndarray,  # type: ignore[type-arg]
             start: int) -> None:
    """crfsuite's Viterbi over scores (n, L) into path (no start/end transitions; ties → lower).

    Forward, each label needs only the best score over its sources, not which source: the
    backward pass recomputes the argmax for the one label per position on the path, from the
    kept columns ``hist``. The forward max uses a split trans[i, j] = r[i] + c[j] + residual
    where, but for the two sources with the largest residuals into j ("strong"), every
    residual is at most eps[j]: scoring the best previous state, the best by delta + r and the
    strong sources, any other source reaches at most (second-best delta + r) + c[j] + eps[j].
    Only a label where that bound is not beaten strictly (about one in ten) is maxed over all
    37 sources. Maxima are exact, so the result is crfsuite's.
    """
    trans, r, c, eps, strong = m[11:16]
    n, n_labels = scores.shape
    if start == 0:
        hist[0, :] = scores[0]
        start = 1
    for t in range(start, n):
        delta, nxt = hist[t - 1], hist[t]
        first, u1, u2 = 0, 0, -1
        for i in range(1, n_labels):
            if delta[i] > delta[first]:
                first = i
            v = delta[i] + r[i]
            if v > delta[u1] + r[u1]:
                u1, u2 = i, u1
            elif u2 < 0 or v > delta[u2] + r[u2]:
                u2 = i
        bound = delta[u2] + r[u2]  # the best delta + r of any source but u1
        d_first, d_u = delta[first], delta[u1]
        for j in range(n_labels):
            s0, s1 = strong[j, 0], strong[j, 1]
            best = max(max(d_first + trans[first, j], d_u + trans[u1, j]),
                       max(delta[s0] + trans[s0, j], delta[s1] + trans[s1, j]))
            if not best > bound + c[j] + eps[j]:
                for i in range(n_labels):
                    best = max(best, delta[i] + trans[i, j])
            nxt[j] = best + scores[t, j]
    delta = hist[n - 1]
    label = 0
    for j in range(1, n_labels):
        if delta[j] > delta[label]:
            label = j
    path[n - 1] = label
    for t in range(n - 1, 0, -1):
        prev = hist[t - 1]
        best, arg = prev[0] + trans[0, label], 0
        for i in range(1, n_labels):
            v = prev[i] + trans[i, label]
            if v > best:
                best, arg = v, i
        label = arg
        path[t - 1] = label


@njit(cache=True)
def _tag_text(m: tuple, t: tuple, cps: np.ndarray, char_ids: np.ndarray, window: int,  # type: ignore[type-arg]
              tags: np.ndarray, codes: np.ndarray, ids: np.ndarray, scores: np.ndarray,
              hist: np.ndarray, start: int) -> None:
    """Tags of one text, window by window as tagger.tag does (features and pre-pass per window).

    For a text of one window, positions before ``start`` still hold the scores, Viterbi columns
    and back pointers of the text before, which equal this text's there (see _parse_all).
    """
    n = len(cps)
    pad_left, pad_right = char_ids[0x5E], char_ids[0x24]  # ^ and $
    for lo in range(0, n, window):
        hi = min(n, lo + window)
        size = hi - lo
        if start == 0:
            _scan(t, cps, lo, hi, codes)
        ids[0] = ids[1] = pad_left
        ids[size + 2] = ids[size + 3] = pad_right
        for k in range(lo, hi):
            ids[k - lo + 2] = char_ids[cps[k]]
        _emissions(m, ids[:size + 4], codes[lo:hi], scores, start)
        _viterbi(m, scores[:size], tags[lo:hi], hist, start)


@njit(cache=True)
def _shared_prefix(t: tuple, text: np.ndarray, codes: np.ndarray, before: np.ndarray,  # type: ignore[type-arg]
                   before_codes: np.ndarray) -> int:
    """Positions whose state scores equal the previous text's: its characters two to the right
    and the pre-pass codes up to it must match. Scans ``text`` into ``codes``."""
    n = len(text)
    _scan(t, text, 0, n, codes)
    common = 0
    limit = min(n, len(before))
    while common < limit and text[common] == before[common]:
        common += 1
    same = 0
    while same < common - 2 and codes[same] == before_codes[same]:
        same += 1
    return same


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


@njit(cache=True, inline="always")
def _popcount(x: np.uint64) -> int:
    count = 0
    while x:
        x &= x - np.uint64(1)
        count += 1
    return count


@njit(cache=True)
def _chain_of(r: tuple, unit: int, mark: np.ndarray, cand_mask: np.ndarray,  # type: ignore[type-arg]
              ) -> tuple[np.uint64, int, int]:
    """(mentions explained, depth, level bits) of the chain from ``unit`` up (gaz.chain)."""
    parent, unit_level = r[0], r[1]
    mask = np.uint64(0)
    depth = 0
    levels = 0
    while unit >= 0:
        if mark[unit]:
            mask |= cand_mask[mark[unit] - 1]
        depth += 1
        levels |= 1 << unit_level[unit]
        unit = parent[unit]
    return mask, depth, levels


@njit(cache=True)
def _resolve(r: tuple, m_level: np.ndarray, m_name: np.ndarray, n_m: int,  # type: ignore[type-arg]
             mark: np.ndarray, cand: np.ndarray, cand_mask: np.ndarray,
             m_bits: np.ndarray) -> int:
    """resolve._resolve over (level, name id) mentions: the winning unit's index, -1 for none.

    ``mark`` (one slot per unit, all zero) is left all zero again.
    """
    unit_level, unit_home, prop_ptr, prop_units = r[1], r[2], r[3], r[4]
    n_c = 0
    for m in range(n_m):
        base = m_name[m] * 5
        own = base + m_level[m]
        bits = 0
        for lv in range(5):
            if (lv == m_level[m]) != (prop_ptr[own] == prop_ptr[own + 1]):
                for k in range(prop_ptr[base + lv], prop_ptr[base + lv + 1]):
                    u = prop_units[k]
                    if mark[u] == 0:
                        cand[n_c] = u
                        cand_mask[n_c] = 0
                        n_c += 1
                        mark[u] = n_c
                    cand_mask[mark[u] - 1] |= np.uint64(1) << np.uint64(m)
                    bits |= 1 << unit_level[u]
        m_bits[m] = bits
    winner = -1
    most = 0
    best_contradicted, best_depth, best_home = 0, 0, 0
    for c in range(n_c):
        mask, depth, levels = _chain_of(r, cand[c], mark, cand_mask)
        explained = _popcount(mask)
        if explained < most:
            continue
        contradicted = 0
        for m in range(n_m):
            if m_bits[m] and not (mask >> np.uint64(m)) & np.uint64(1) and \
                    (m_bits[m] & ~levels) == 0:
                contradicted += 1
        u = cand[c]
        if explained > most or winner < 0:
            better = True
        else:
            better = (-contradicted, depth, unit_home[u]) > \
                (-best_contradicted, best_depth, best_home) or (
                (-contradicted, depth, unit_home[u]) == (-best_contradicted, best_depth, best_home)
                and u < winner)
        if better:
            most, winner = explained, u
            best_contradicted, best_depth, best_home = contradicted, depth, unit_home[u]
    for c in range(n_c):
        mark[cand[c]] = 0
    return winner


@njit(cache=True, nogil=True)
def _parse_all(m: tuple, t: tuple, r: tuple, char_ids: np.ndarray, tag_kind: np.ndarray,  # type: ignore[type-arg]
               tag_label: np.ndarray, flags: np.ndarray, label_level: np.ndarray,
               room_label: int, cps: np.ndarray, starts: np.ndarray, order: np.ndarray,
               window: int):  # type: ignore[no-untyped-def]
    """Spans (rows first[i]:last[i] of label, start, end) and the resolved unit of every text.

    Texts are taken in ``order`` (sorted), so a text repeating the one before shares its rows,
    and one sharing a prefix with it starts its Viterbi pass where they part.
    """
    n_texts = len(starts) - 1
    total = starts[-1]
    first_row = np.zeros(n_texts, dtype=np.int64)
    last_row = np.zeros(n_texts, dtype=np.int64)
    labels = np.empty(2 * total + 1, dtype=np.int8)
    lo_out = np.empty(2 * total + 1, dtype=np.int32)
    hi_out = np.empty(2 * total + 1, dtype=np.int32)
    winner = np.full(n_texts, -1, dtype=np.int32)
    prop_ptr = r[3]
    n_units = len(r[0])
    mark = np.zeros(n_units, dtype=np.int32)
    cand = np.empty(n_units, dtype=np.int32)
    cand_mask = np.empty(n_units, dtype=np.uint64)
    m_level = np.empty(64, dtype=np.int64)
    m_name = np.empty(64, dtype=np.int64)
    m_bits = np.empty(64, dtype=np.int64)
    space = t[5]
    n_labels = m[11].shape[0]
    longest = 1
    for a in range(n_texts):
        longest = max(longest, starts[a + 1] - starts[a])
    tags = np.empty(longest, dtype=np.int64)
    codes = np.empty(longest, dtype=np.int8)
    before_codes = np.empty(longest, dtype=np.int8)
    s_lab = np.empty(longest, dtype=np.int64)
    s_lo = np.empty(longest, dtype=np.int64)
    s_hi = np.empty(longest, dtype=np.int64)
    zone_lo = np.empty(longest, dtype=np.int64)
    zone_hi = np.empty(longest, dtype=np.int64)
    buf = np.empty(longest, dtype=np.int64)
    ids = np.empty(window + 4, dtype=np.int64)
    scores = np.empty((window, n_labels))
    hist = np.empty((window, n_labels))
    count = 0
    before = cps[0:0]  # the text before, while its Viterbi state is in the buffers
    previous = -1
    for a in order:
        text = cps[starts[a]:starts[a + 1]]
        n = len(text)
        if previous >= 0 and n == len(cps[starts[previous]:starts[previous + 1]]) and \
                (text == cps[starts[previous]:starts[previous + 1]]).all():
            first_row[a], last_row[a], winner[a] = first_row[previous], last_row[previous], \
                winner[previous]
            continue
        previous = a
        start = 0
        if 0 < n <= window and len(before):
            start = _shared_prefix(t, text, codes, before, before_codes)
        _tag_text(m, t, text, char_ids, window, tags, codes, ids, scores, hist, start)
        before = text if n <= window else cps[0:0]
        before_codes[:n] = codes[:n]
        # BIO → spans (corpus.spans): a tag equal to the open span's I- continues it
        spans_from = count
        k = 0
        open_label = -1
        for i in range(n + 1):
            if i < n and open_label >= 0 and tag_kind[tags[i]] == 2 and \
                    tag_label[tags[i]] == open_label:
                continue
            if open_label >= 0:
                blank = True
                for q in range(s_lo[k], i):
                    if not (text[q] < 0x3001 and space[text[q]]):
                        blank = False
                        break
                if not blank:
                    s_hi[k] = i
                    k += 1
                open_label = -1
            if i < n and tag_kind[tags[i]] != 0:
                open_label = tag_label[tags[i]]
                s_lab[k], s_lo[k] = open_label, i
        # parse._snap_admin: an admin span that is no known name, cut inside a gazetteer hit
        scanned = False
        for i in range(k - 1):
            if not flags[s_lab[i]] & 1 or _name_id(t, text, s_lo[i], s_hi[i], False) >= 0:
                continue
            if not scanned:
                _scan(t, text, 0, n, codes)
                scanned = True
            end = s_lo[i] + 1
            while end < n and codes[end] > 0 and codes[end] % 2 == 0:
                end += 1
            begins = codes[s_lo[i]] > 0 and codes[s_lo[i]] % 2 == 1
            if begins and s_hi[i] < end < s_hi[i + 1] and s_lo[i + 1] == s_hi[i]:
                s_hi[i] = end
                s_lo[i + 1] = end
        # parse._with_rooms, and the admin mentions code resolution reads
        n_m = 0
        zones = 0
        district_or_city = False
        for i in range(k):
            label = s_lab[i]
            labels[count], lo_out[count], hi_out[count] = label, s_lo[i], s_hi[i]
            count += 1
            if flags[label] & 4:
                district_or_city |= flags[label] & 16 != 0
                nid = _name_id(t, text, s_lo[i], s_hi[i], True)
                if nid >= 0:
                    if n_m < 64:
                        m_level[n_m], m_name[n_m] = label_level[label], nid
                    n_m += 1
            elif flags[label] & 8:
                zone_lo[zones], zone_hi[zones] = s_lo[i], s_hi[i]
                zones += 1
            if flags[label] & 2:
                gap_end = s_lo[i + 1] if i + 1 < k else n
                if gap_end > s_hi[i] and _is_room(text, s_hi[i], gap_end):
                    labels[count], lo_out[count], hi_out[count] = room_label, s_hi[i], gap_end
                    count += 1
        if not district_or_city:  # resolve._devzone_place: 青浦工业园区 → 青浦
            for z in range(zones):
                size = 0
                for q in range(zone_lo[z], zone_hi[z]):
                    if not (text[q] < 0x3001 and space[text[q]]):
                        buf[size] = text[q]
                        size += 1
                for prefix in (4, 3, 2):
                    nid = _name_id(t, buf, 0, min(prefix, size), False)
                    if nid < 0:
                        continue
                    lv = -1
                    if prop_ptr[nid * 5 + 2] < prop_ptr[nid * 5 + 3]:
                        lv = 2  # district
                    elif prop_ptr[nid * 5 + 1] < prop_ptr[nid * 5 + 2]:
                        lv = 1  # city
                    if lv >= 0:
                        if n_m < 64:
                            m_level[n_m], m_name[n_m] = lv, nid
                        n_m += 1
                        break
        if n_m > 64:
            winner[a] = -2  # more mentions than a mask holds: resolve.py does it
        elif n_m:
            winner[a] = _resolve(r, m_level, m_name, n_m, mark, cand, cand_mask, m_bits)
        first_row[a] = spans_from
        last_row[a] = count
    return first_row, last_row, labels[:count], lo_out[:count], hi_out[:count], winner


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
    from address.normalize import _FEATURE_TABLE

    table = np.arange(0x110000, dtype=np.uint32)
    for cp, folded in _FEATURE_TABLE.items():
        table[cp] = ord(folded)  # the fold is one character to one
    return table


def run(texts: list[str], path: str) -> Batch:
    """Parse the already cut texts with the model at ``path``."""
    tb = tables(path)
    raw = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    cps = _feature_fold_table()[raw]  # normalize.feature_fold, as one gather
    if len(texts) == 1:
        starts = np.array((0, len(cps)), dtype=np.int64)
    else:
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=starts[1:])
    order = np.array(sorted(range(len(texts)), key=texts.__getitem__), dtype=np.int64)
    first, last, labels, lo, hi, units = _parse_all(
        tb.kernel_model, tb.kernel_names, tb.kernel_units, tb.char_ids, tb.tag_kind,
        tb.tag_label, tb.label_flags, tb.label_level, LABELS.index("roomno"), cps, starts,
        order, MAX_CHARS)
    return Batch(first, last, labels, lo, hi, units)
