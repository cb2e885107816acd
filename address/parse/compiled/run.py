"""The compiled parse as Python calls it: texts in, ``Batch`` out.

``run`` folds the texts (normalize.feature_fold, as one gather over their code points, and
normalize.number_fold, as one search over them all), orders them (``order.text_order``) and
hands them to ``batch.parse_all`` (both as ``kernels`` gives them: ahead of time or jit) with
the tables of the model (``tables.tables``, built once per process) and the resolver's scratch
for this thread.
``write_source_terms`` fits Viterbi's source terms for a model (address.training.train).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import numpy as np

from address.parse.compiled.kernels import Batch, kernels
from address.parse.compiled.tables import Tables, tables
from address.parse.compiled.terms import fit_source_terms, save_source_terms
from address.parse.tagger import MAX_CHARS
from address.text.normalize import fold, number_spans

__all__ = ["Batch", "Tables", "run", "run_with", "tables", "viterbi_columns",
           "write_source_terms"]


@cache
def _feature_fold_table() -> np.ndarray:
    from address.text.normalize import _FEATURE_TABLE

    table = np.arange(0x110000, dtype=np.uint32)
    for cp, folded in _FEATURE_TABLE.items():
        table[cp] = ord(folded)  # the fold is one character to one
    return table


_SCRATCH = threading.local()  # the resolver's scratch arrays, one set per thread


def _scratch(n_units: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """resolve.Scratch's per-unit arrays: mark (all zero), cand, cand_mask."""
    if getattr(_SCRATCH, "n_units", None) != n_units:
        _SCRATCH.n_units = n_units
        _SCRATCH.arrays = (np.zeros(n_units, dtype=np.int64), np.empty(n_units, dtype=np.int64),
                           np.empty(n_units, dtype=np.uint64))
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray] = _SCRATCH.arrays
    return arrays


def _code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' folded code points end to end, and where each text starts (one more)."""
    raw = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=starts[1:])
    cps = _feature_fold_table()[raw]  # normalize.feature_fold, as one gather
    fold_numbers(texts, cps, starts)
    return cps, starts


def fold_numbers(texts: list[str], cps: np.ndarray, starts: np.ndarray) -> None:
    """normalize.number_fold of every text, into ``cps``: one search over the folded texts
    joined by NUL, which no match crosses (NUL is neither a numeral nor a unit)."""
    found = number_spans(fold("\0".join(texts)))
    if not found:
        return
    bounds = np.array(found, dtype=np.int64)
    # text k starts at starts[k] + k in the joined string: k NULs before it
    shift = np.searchsorted(starts + np.arange(len(starts)), bounds[:, 0], side="right") - 1
    for lo, hi in (bounds - shift[:, None]).tolist():
        cps[lo:hi] = 0x30


def run(texts: list[str], path: str) -> Batch:
    """Parse the already cut texts with the model at ``path``."""
    return run_with(texts, tables(path))


def run_with(texts: list[str], tb: Tables) -> Batch:
    """run() with the given tables."""
    cps, starts = _code_points(texts)
    k = kernels()
    order = np.zeros(1, dtype=np.int64) if len(texts) == 1 else k.text_order(cps, starts)
    return Batch._make(k.parse_all(tb.packed, cps, starts, order, MAX_CHARS,
                                   _scratch(len(tb.unit_codes))))


def viterbi_columns(texts: list[str], path: str, limit: int) -> np.ndarray:
    """Up to ``limit`` Viterbi columns of the texts (those of MAX_CHARS or fewer), to fit r."""
    from address.parse.compiled.batch import columns

    tb = tables(path)
    cps, starts = _code_points([t for t in texts if len(t) <= MAX_CHARS])
    out = np.empty((limit, tb.arrays.transitions.trans.shape[0]))
    count = columns(tb.packed, cps, starts, out)
    return out[:count]


def write_source_terms(path: str, texts: list[str], limit: int = 60_000) -> Path:
    """Fit viterbi's source terms for the model at ``path`` on Viterbi columns of ``texts``
    (training text) and write them next to the model."""
    tb = tables(path)
    r = fit_source_terms(tb.arrays.transitions.trans, viterbi_columns(texts, path, limit))
    return save_source_terms(path, tb.crf_tags, r)
