"""The arrays the compiled parse reads, built once per process from the crfsuite model, the
gazetteer and the fitted source terms.

The Python parser spends its time building feature strings that crfsuite then looks up one by
one; here each folded character maps to a small id (``char_ids``) and the model's weights are
regrouped by what a template reads: the one-character templates (u/U, p, n, q, m) as dense
vectors per character and offset (offset 0 together with the gazetteer-tag templates g and h,
per pre-pass code), the templates over two or three characters (b/B, c/C, s, t/T) as sparse
(label, weight) rows in hash tables keyed by the packed ids (``BITS`` per id).

The arrays come in named tuples, one per stage that reads them (numba takes named tuples of
arrays as arguments, so a stage gets its bundle, not a dozen arrays): ``Features`` (emissions),
``Transitions`` (Viterbi, see ``terms``), ``Names`` (the pre-pass and name look-ups), ``Units``
(resolution) and ``Labels`` (spans); ``Arrays`` holds them all, and ``Tables`` adds what only
Python reads (unit codes, the CRF's tag names).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from address.loading import load_once
from address.parse.compiled import store
from address.parse.compiled.terms import Transitions, load_source_terms, split_transitions
from address.parse.gazetteer import LEVELS, all_names, load, scanner
from address.parse.tagger import LABELS, PAD_LEFT, PAD_RIGHT
from address.resources import HOME_PREFIXES
from address.text.normalize import is_symbol

BITS = 14  # bits per character id in a packed key; the shipped model has 1,937 characters
_OFFSETS = {"q": 0, "p": 1, "u": 2, "U": 2, "n": 3, "m": 4}  # one-character template → offset + 2
# Label flags (Labels.flags).
SNAP, ROOM_AFTER, ADMIN, DEVZONE, DISTRICT_OR_CITY = 1, 2, 4, 8, 16


class Features(NamedTuple):
    """The state-feature weights (see ``_feature_tables``)."""

    dense: np.ndarray  # (chars, 4 + scanner codes, L)
    pairs: np.ndarray  # hash table: (c, c') → b/B row | c/C row << 32
    skip: np.ndarray  # hash table: (c-1, c+1) → s row
    tri: np.ndarray  # hash table: (c-1, c0, c+1) → t/T row
    weights: np.ndarray  # the sparse rows' (label, weight) pairs


class Names(NamedTuple):
    """The gazetteer's names (see ``_name_tables``)."""

    ids: np.ndarray  # hash table: text hash → name id
    chars: np.ndarray  # the names' code points end to end, ids in sorted order
    ptr: np.ndarray  # name i is chars[ptr[i]:ptr[i + 1]]
    level: np.ndarray  # per name: its scanner level (index in LEVELS), -1 for none
    space: np.ndarray  # str.isspace below U+3001
    prefixes: np.ndarray  # hash table: first two characters → bit set of scanner name lengths
    starters: np.ndarray  # bit set of the characters scanner names start with


class Units(NamedTuple):
    """The gazetteer's units in code order (see ``_unit_tables``)."""

    parent: np.ndarray  # unit index of the parent, -1 for none
    level: np.ndarray  # index in LEVELS
    home: np.ndarray  # 2 in the home district, 1 in Shanghai, 0 elsewhere
    prop_ptr: np.ndarray  # name · 5 + level → its units are prop_units[ptr[k]:ptr[k + 1]]
    prop_units: np.ndarray


class Labels(NamedTuple):
    """CRF tags and the parser's labels."""

    tag_kind: np.ndarray  # int64 per CRF tag: 0 O, 1 B-, 2 I-
    tag_label: np.ndarray  # int64 per CRF tag: index into LABELS
    flags: np.ndarray  # int64 per label: SNAP | ROOM_AFTER | …
    level: np.ndarray  # int64 per label: index in LEVELS, -1 for other labels
    room: int  # the labels of a room (roomno), a unit (cellno) and a floor (floorno)
    cell: int
    floor: int
    symbol: np.ndarray  # bool per code point: normalize.is_symbol, trimmed off spans


class Arrays(NamedTuple):
    """Everything the compiled parse reads."""

    features: Features
    transitions: Transitions
    names: Names
    units: Units
    labels: Labels
    char_ids: np.ndarray  # int16 per code point; 0: not in the model


@dataclass(frozen=True)
class Tables:
    """The compiled parse's arrays and what Python reads to turn its answer into names."""

    arrays: Arrays
    unit_codes: tuple[str, ...]  # gazetteer codes, sorted; the kernel's unit index
    crf_tags: tuple[str, ...]  # the CRF's tags in its own order (the kernel's tag index)
    _chains: dict[int, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def chain_codes(self, unit: int) -> dict[str, str]:
        """level → code of the unit and its ancestors, from the province down (as
        ``gazetteer.load().chain``, without reading the gazetteer). Shared: do not change it."""
        found = self._chains.get(unit)
        if found is None:
            units, chain, at = self.arrays.units, [], unit
            while at >= 0:
                chain.append((LEVELS[units.level[at]], self.unit_codes[at]))
                at = int(units.parent[at])
            found = self._chains[unit] = dict(reversed(chain))
        return found

    @cached_property
    def packed(self) -> tuple[Any, ...]:
        """``arrays`` as plain tuples, as the compiled parse is called with them: numba's
        dispatch takes about 8 µs longer per call over named tuples of these ~30 arrays than over
        plain ones (measured; a call of one text takes about 25 µs). ``batch.unpack`` names
        them again inside, where a named tuple costs nothing."""
        return tuple(tuple(x) if isinstance(x, tuple) else x for x in self.arrays)


def _scanner_codes() -> dict[str, int]:
    """Scanner tag → small code: O 0, B<level> 1 + 2·level, I<level> 2 + 2·level."""
    codes = {"O": 0}
    for i, level in enumerate(LEVELS):
        codes["B" + level], codes["I" + level] = 1 + 2 * i, 2 + 2 * i
    return codes


def _pack(ids: tuple[int, ...]) -> int:
    key = 0
    for value in ids:
        key = (key << BITS) | value
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
                    n_chars: int, n_labels: int) -> Features:
    """The kernel's feature arrays: the dense tables, and the hash tables of the templates over
    two or three characters, whose values refer to sparse (label, weight) rows as
    1 + start · 64 + length (0: none), so a look-up is one read."""
    from address.parse.compiled.hashing import hash_table  # numba

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
    return Features(_dense_table(groups, n_chars, n_labels), hash_table(pairs), hash_table(skip),
                    hash_table(tri), weights.reshape(-1, 2))


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


def _name_tables() -> tuple[Names, list[str]]:
    """Every gazetteer name (ids in sorted order) with its scanner level; per two-character
    start of a scanner name, the bit set of the lengths of those names; the bit set of the
    characters scanner names start with; str.isspace below U+3001."""
    from address.parse.compiled.hashing import hash_table, text_hash  # numba

    scan = scanner()
    names = sorted(all_names())
    levels = [LEVELS.index(scan.names[n]) if n in scan.names else -1 for n in names]
    ids = hash_table({text_hash(n): i for i, n in enumerate(names)})
    chars = np.array([ord(ch) for n in names for ch in n], dtype=np.int64)
    ptr = np.cumsum([0] + [len(n) for n in names]).astype(np.int64)
    lengths: dict[int, int] = {}  # first two characters → bit set of the lengths of the names
    for name in scan.names:
        if len(name) >= 2:
            key = (ord(name[0]) << 21) | ord(name[1])
            lengths[key] = lengths.get(key, 0) | 1 << len(name)
    if max(map(len, scan.names)) >= 63:  # the bit set is an int64
        raise ValueError("a gazetteer name of 63 characters or more")
    space = np.array([chr(cp).isspace() for cp in range(0x3001)], dtype=np.bool_)
    starters = np.zeros(0x110000 // 64, dtype=np.uint64)  # bit set: first character of a name
    for name in scan.names:
        starters[ord(name[0]) >> 6] |= np.uint64(1 << (ord(name[0]) & 63))
    return Names(ids, chars, ptr, np.array(levels, dtype=np.int64), space, hash_table(lengths),
                 starters), names


def _unit_tables(names: list[str]) -> tuple[Units, tuple[str, ...]]:
    """Gazetteer units in code order (a lower index is a lower code) and, per name and level,
    the units of that level carrying the name (resolve.py's proposals)."""
    gaz = load()
    codes = sorted(gaz.units)
    index = {code: i for i, code in enumerate(codes)}
    parent = [index.get(gaz.units[c].parent, -1) for c in codes]
    level = [LEVELS.index(gaz.units[c].level) for c in codes]
    district, city = HOME_PREFIXES
    home = [2 if c.startswith(district) else 1 if c.startswith(city) else 0 for c in codes]
    lists = [[index[c] for c in gaz.by_name[lv].get(name, ())] for name in names for lv in LEVELS]
    units = Units(np.array(parent, dtype=np.int64), np.array(level, dtype=np.int64),
                  np.array(home, dtype=np.int64),
                  np.cumsum([0] + [len(x) for x in lists]).astype(np.int64),
                  np.array([u for x in lists for u in x], dtype=np.int64))
    return units, tuple(codes)


def _label_tables(tags: tuple[str, ...]) -> Labels:
    flags = np.zeros(len(LABELS), dtype=np.int64)
    for i, label in enumerate(LABELS):
        flags[i] = ((label in ("prov", "city", "district", "town")) * SNAP
                    | (label in ("houseno", "cellno", "floorno", "roadno", "poi", "subpoi"))
                    * ROOM_AFTER
                    | (label in LEVELS) * ADMIN | (label == "devzone") * DEVZONE
                    | (label in ("district", "city")) * DISTRICT_OR_CITY)
    return Labels(
        tag_kind=np.array([0 if t == "O" else 1 if t[0] == "B" else 2 for t in tags],
                          dtype=np.int64),
        tag_label=np.array([LABELS.index(t[2:]) if t != "O" else -1 for t in tags],
                           dtype=np.int64),
        flags=flags,
        level=np.array([LEVELS.index(lb) if lb in LEVELS else -1 for lb in LABELS],
                       dtype=np.int64),
        room=LABELS.index("roomno"), cell=LABELS.index("cellno"), floor=LABELS.index("floorno"),
        symbol=np.array([is_symbol(chr(cp)) for cp in range(0x110000)], dtype=np.bool_))


@load_once
def tables(path: str) -> Tables:
    """The crfsuite model at ``path`` and the gazetteer as the kernel reads them: mapped from
    the stored copy (``store``), built and stored the first time (a few seconds)."""
    directory = store.cache_root() / f"tables-{store.key(path)}"
    groups = {"features": Features, "transitions": Transitions, "names": Names,
              "units": Units, "labels": Labels, "char_ids": None}
    if (directory / "meta.json").exists():
        arrays, meta = store.load(directory, groups)
        return Tables(Arrays(*arrays), tuple(meta["unit_codes"]), tuple(meta["crf_tags"]))
    built = build(path)
    with contextlib.suppress(OSError):  # a read-only install: build per process, as before
        store.save(directory, built.arrays,
                   {"unit_codes": built.unit_codes, "crf_tags": built.crf_tags, "model": path})
    return built


def build(path: str) -> Tables:
    """The tables of the model at ``path``, built from the model and the gazetteer."""
    import pycrfsuite

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
    if len(chars) >= 1 << BITS:
        raise ValueError("too many distinct characters for the packed keys")
    if len(tags) > 64:
        raise ValueError("more than 64 CRF tags: best_three marks a source in six bits")
    char_ids = np.zeros(0x110000, dtype=np.int16)  # small, so the hot part stays in cache
    char_ids[[ord(ch) for ch in chars]] = list(chars.values())
    trans = np.zeros((len(tags), len(tags)))
    for (src, dst), weight in model.transitions.items():
        trans[index[src], index[dst]] = weight
    names, name_list = _name_tables()
    units, unit_codes = _unit_tables(name_list)
    arrays = Arrays(_feature_tables(groups, len(chars) + 1, len(tags)),
                    split_transitions(trans, load_source_terms(path, tags)),
                    names, units, _label_tables(tags), char_ids)
    return Tables(arrays, unit_codes, tags)
