"""Batch tagging in numpy: the shipped CRF, many addresses at once, for bulk work.

Building feature strings and looking each one up inside crfsuite costs more than the CRF
arithmetic, so for batches the features are integers: each folded character maps to a small id,
each template packs its ids into one int64 key, and an open-addressing hash table (built once
from the model's own weights) gives the weight row. The state scores of a whole batch are then a
handful of vectorized gathers.

Viterbi over 37 labels is ~1,400 operations per character, too many for numpy, so each step
scores only a few candidate sources per label and proves the rest cannot win (see _step); rows
without that proof are redone in full. Results therefore equal pycrfsuite's, up to float32
rounding (bench/parse_speed.py checks the agreement).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pycrfsuite

from address.gazetteer import scanner
from address.normalize import feature_fold
from address.tagger import PAD_LEFT, PAD_RIGHT

BEAM = 4
STRONG = 2  # per label, the sources always scored exactly (B-X and I-X for I-X)
_BITS = 14  # character ids must fit; the shipped model has ~2,100 distinct characters
_TABLE_BITS = 20
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TOP = np.uint64(1 << 63)  # set in every key, so 0 marks an empty slot
# Template letter → offsets of the characters it reads, as in tagger.char_features.
_TEMPLATES: dict[str, tuple[int, ...]] = {
    "u": (0,), "p": (-1,), "n": (1,), "q": (-2,), "m": (2,),
    "b": (-1, 0), "c": (0, 1), "s": (-1, 1), "t": (-1, 0, 1),
    "U": (0,), "B": (-1, 0), "C": (0, 1), "T": (-1, 0, 1),
}
_ORDER = tuple(_TEMPLATES)
_G, _H = len(_ORDER) + 1, len(_ORDER) + 2  # template numbers of g (tag) and h (tag + c0)


@dataclass(frozen=True)
class FastModel:
    """The model as arrays: hash table of feature keys, weights, transitions, id maps."""

    labels: tuple[str, ...]
    table_keys: np.ndarray  # uint64, 0 = empty
    table_rows: np.ndarray  # int64 row into weights
    max_probe: int
    weights: np.ndarray  # (features + 1, L) float32; the last row is zeros
    transitions: np.ndarray  # (L, L) float32, from → to
    strong_src: np.ndarray  # (L, STRONG) the sources with the largest transitions into each label
    strong_trans: np.ndarray  # (L, STRONG) those transitions
    weak_max: np.ndarray  # (L,) the largest transition into each label from any other source
    char_ids: np.ndarray  # code point → id (0: unseen)
    gaz_ids: dict[str, int]


def _pack(template: int, ids: list[int]) -> int:
    key = template | (1 << 63)
    for shift, value in enumerate(ids):
        key |= value << (5 + shift * _BITS)
    return key


def _hash(keys: np.ndarray) -> np.ndarray:
    return (keys * _GOLDEN) >> np.uint64(64 - _TABLE_BITS)


def _attribute_key(attr: str, chars: dict[str, int], gaz: dict[str, int]) -> int | None:
    letter, rest = attr[0], attr[1:]
    if letter in _TEMPLATES and len(rest) == len(_TEMPLATES[letter]):
        ids = [chars.setdefault(ch, len(chars) + 1) for ch in rest]
        return _pack(_ORDER.index(letter) + 1, ids)
    if letter == "g":
        return _pack(_G, [gaz.setdefault(rest, len(gaz) + 1)])
    if letter == "h" and rest:
        return _pack(_H, [gaz.setdefault(rest[:-1], len(gaz) + 1),
                          chars.setdefault(rest[-1], len(chars) + 1)])
    return None  # the NAACL-only copies: never generated when parsing


def _hash_table(keys: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
    size = 1 << _TABLE_BITS
    table_keys = np.zeros(size, dtype=np.uint64)
    table_rows = np.zeros(size, dtype=np.int64)
    slots = _hash(np.array(keys, dtype=np.uint64)).astype(np.int64).tolist()
    used: dict[int, int] = {}
    longest = 1
    for row, slot in enumerate(slots):
        probe = 1
        while slot in used:
            slot, probe = (slot + 1) & (size - 1), probe + 1
        used[slot] = row
        longest = max(longest, probe)
    positions = np.fromiter(used, dtype=np.int64, count=len(used))
    rows = np.fromiter(used.values(), dtype=np.int64, count=len(used))
    table_keys[positions] = np.array(keys, dtype=np.uint64)[rows]
    table_rows[positions] = rows
    return table_keys, table_rows, longest


@cache
def load_model(path: str) -> FastModel:
    """Arrays for the crfsuite model at ``path`` (a couple of seconds, once per process)."""
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    info = tagger.info()
    labels = tuple(sorted(info.labels, key=info.labels.__getitem__))
    index = {label: i for i, label in enumerate(labels)}
    chars: dict[str, int] = {}
    gaz: dict[str, int] = {}
    rows: dict[int, int] = {}
    entries: list[tuple[int, int, float]] = []
    for (attr, label), weight in info.state_features.items():
        key = _attribute_key(attr, chars, gaz)
        if key is not None:
            entries.append((rows.setdefault(key, len(rows)), index[label], weight))
    weights = np.zeros((len(rows) + 1, len(labels)), dtype=np.float32)
    r, c, w = zip(*entries, strict=True)
    weights[np.array(r), np.array(c)] = np.array(w, dtype=np.float32)
    transitions = np.zeros((len(labels), len(labels)), dtype=np.float32)
    for (src, dst), weight in info.transitions.items():
        transitions[index[src], index[dst]] = weight
    if max(chars.values(), default=0) >= 1 << _BITS:
        raise ValueError("too many distinct characters for the packed keys")
    char_ids = np.zeros(0x110000, dtype=np.uint64)
    char_ids[[ord(ch) for ch in chars]] = list(chars.values())
    table_keys, table_rows, max_probe = _hash_table(list(rows))
    order = np.argsort(-transitions, axis=0)  # per target, sources by transition, best first
    strong_src = order[:STRONG].T.copy()
    strong_trans = np.take_along_axis(transitions, order[:STRONG], axis=0).T.copy()
    weak_max = np.take_along_axis(transitions, order[STRONG:STRONG + 1], axis=0)[0]
    return FastModel(labels, table_keys, table_rows, max_probe, weights, transitions,
                     strong_src, strong_trans, weak_max, char_ids, gaz)


def _lookup(model: FastModel, keys: np.ndarray) -> np.ndarray:
    """Weight row of each key; the zero row for keys the model does not have."""
    mask = np.uint64((1 << _TABLE_BITS) - 1)
    slots = _hash(keys)
    rows = np.full(len(keys), len(model.weights) - 1, dtype=np.int64)
    todo = np.arange(len(keys))
    for _ in range(model.max_probe):
        found = model.table_keys[slots[todo]]
        hit = found == keys[todo]
        rows[todo[hit]] = model.table_rows[slots[todo[hit]]]
        todo = todo[~hit & (found != 0)]
        if not len(todo):
            break
        slots[todo] = (slots[todo] + np.uint64(1)) & mask
    return rows


def _feature_keys(model: FastModel, folded: list[str], lengths: np.ndarray) -> list[np.ndarray]:
    """One key array per template, one entry per character of the whole batch."""
    joined = "".join(PAD_LEFT + t + PAD_RIGHT for t in folded)
    ids = model.char_ids[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
    pad = len(PAD_LEFT) + len(PAD_RIGHT)
    starts = np.concatenate(([0], np.cumsum(lengths + pad)[:-1])) + len(PAD_LEFT)
    before = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    pos = np.arange(int(lengths.sum())) + np.repeat(starts - before, lengths)
    scan, gaz_ids = scanner(), model.gaz_ids
    gaz = np.fromiter((gaz_ids.get(tag, 0) for text in folded for tag in scan.tags(text)),
                      dtype=np.uint64, count=len(pos))
    keys = []
    for number, letter in enumerate(_ORDER, start=1):
        key = np.full(len(pos), number, dtype=np.uint64) | _TOP
        for shift, offset in enumerate(_TEMPLATES[letter]):
            key |= ids[pos + offset] << np.uint64(5 + shift * _BITS)
        keys.append(key)
    keys.append(np.uint64(_G) | _TOP | (gaz << np.uint64(5)))
    keys.append(np.uint64(_H) | _TOP | (gaz << np.uint64(5)) | (ids[pos] << np.uint64(5 + _BITS)))
    return keys


def _step(model: FastModel, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One exact Viterbi step from scores ``delta`` (B, L): (best incoming score, argmax), (B, L).

    Candidates are the BEAM best previous states plus, per target label, the STRONG sources with
    the largest transitions into it. Any other source scores at most (best score outside the
    beam) + (largest transition from a non-strong source); rows where that bound could win are
    recomputed over all states.
    """
    trans = model.transitions
    part = np.argpartition(-delta, BEAM, axis=1)
    top = part[:, :BEAM]
    outside = np.take_along_axis(delta, part[:, BEAM:BEAM + 1], axis=1)
    step = np.take_along_axis(delta, top, axis=1)[:, :, None] + trans[top]
    arg = step.argmax(axis=1)
    best = np.take_along_axis(step, arg[:, None, :], axis=1)[:, 0]
    back = np.take_along_axis(top, arg, axis=1)
    strong = delta[:, model.strong_src] + model.strong_trans[None]  # (B, L, STRONG)
    s_arg = strong.argmax(axis=2)
    s_best = np.take_along_axis(strong, s_arg[:, :, None], axis=2)[:, :, 0]
    better = s_best > best
    best = np.where(better, s_best, best)
    back = np.where(better, model.strong_src[np.arange(len(model.labels)), s_arg], back)
    unsure = (best < outside + model.weak_max[None, :]).any(axis=1)
    if unsure.any():
        full = delta[unsure][:, :, None] + trans[None]
        back[unsure] = full.argmax(axis=1)
        best[unsure] = full.max(axis=1)
    return best, back


def _viterbi(model: FastModel, scores: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Best label paths for B sequences padded to one length T: (B, T, L) → (B, T) label ids.

    A row's path depends only on its first ``length`` steps, so padding a batch to a common
    length changes nothing: each row's best end state is taken at its own last character and
    backtracking starts there. Positions past a row's end are left as 0.
    """
    b, t_len, _ = scores.shape
    delta = scores[:, 0]
    back = np.zeros((b, t_len, scores.shape[2]), dtype=np.int64)
    last = np.zeros(b, dtype=np.int64)
    ends = lengths - 1
    for t in range(t_len):
        if t:
            best, back[:, t] = _step(model, delta)
            delta = best + scores[:, t]
        done = ends == t
        last[done] = delta[done].argmax(axis=1)
    path = np.zeros((b, t_len), dtype=np.int64)
    rows = np.arange(b)
    for t in range(t_len - 1, -1, -1):
        path[ends == t, t] = last[ends == t]
        if t:
            live = rows[ends >= t]
            path[live, t - 1] = back[live, t, path[live, t]]
    return path


def _buckets(lengths: np.ndarray) -> np.ndarray:
    """Padded length per text: rounded up to a multiple of 8 (fewer, larger numpy batches)."""
    return (lengths + 7) // 8 * 8


def tag_many(texts: list[str], path: str) -> list[list[str]]:
    """BIO tags for each text (empty list for empty text), from the model file at ``path``."""
    model = load_model(path)
    folded = [feature_fold(t) for t in texts]
    lengths = np.fromiter(map(len, folded), dtype=np.int64, count=len(folded))
    out: list[list[str]] = [[] for _ in texts]
    if not lengths.sum():
        return out
    scores = np.zeros((int(lengths.sum()) + 1, len(model.labels)), dtype=np.float32)
    for keys in _feature_keys(model, folded, lengths):
        scores[:-1] += model.weights[_lookup(model, keys)]
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    labels = np.array(model.labels, dtype=object)
    padded = _buckets(lengths)
    for size in np.unique(padded[lengths > 0]).tolist():
        members = np.flatnonzero((padded == size) & (lengths > 0))
        steps = np.arange(size)
        # Past a row's end, point at the all-zero last row of ``scores``.
        index = np.where(steps < lengths[members][:, None], offsets[members][:, None] + steps,
                         len(scores) - 1)
        paths = _viterbi(model, scores[index], lengths[members])
        for m, tags in zip(members.tolist(), labels[paths].tolist(), strict=True):
            out[m] = list(tags[:lengths[m]])
    return out
