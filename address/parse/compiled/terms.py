"""The source terms of Viterbi's bound: fitted once per model on training text, shipped beside
it as ``tagger.viterbi.json``.

``viterbi.viterbi`` scores each label's two "strong" sources exactly and bounds all the others
through a source term r (see its docstring); any r gives the exact result, a good one makes the
full max over every source rare. ``split_transitions`` turns the transitions and an r into what
the kernel reads; ``fit_source_terms`` picks r by coordinate descent on Viterbi columns of
training text (address.training.train writes the file; ``load_source_terms`` reads it when it
was fitted for this very model file).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)


class Transitions(NamedTuple):
    """The CRF's transitions as Viterbi reads them (see ``split_transitions``)."""

    trans: np.ndarray  # (L, L): source i → label j
    r: np.ndarray  # the source term per source
    bound_add: np.ndarray  # per label: the bound on trans[i, j] - r[i] of its other sources
    strong0: np.ndarray  # per label: the source with the largest trans[i, j] - r[i]
    strong1: np.ndarray  # … and the second largest
    strong0_trans: np.ndarray  # trans[strong0[j], j]
    strong1_trans: np.ndarray  # trans[strong1[j], j]


def split_transitions(trans: np.ndarray, r: np.ndarray) -> Transitions:
    """For viterbi, given a source term r (any r is exact; a good one is fast): per label j
    the two sources with the largest trans[i, j] - r[i] ("strong") and their transitions, and
    the largest trans[i, j] - r[i] of the other sources, with a margin over float rounding so
    that the bound always holds."""
    rest = trans - r[:, None]
    order = np.argsort(-rest, axis=0, kind="stable")
    bound_add = np.take_along_axis(rest, order[2:3], axis=0)[0] + 1e-9
    labels = np.arange(len(trans))
    strong0, strong1 = order[0].astype(np.int64), order[1].astype(np.int64)
    return Transitions(trans, r, bound_add, strong0, strong1, trans[strong0, labels].copy(),
                       trans[strong1, labels].copy())


def _unsure_cost(trans: np.ndarray, r: np.ndarray, columns: np.ndarray) -> float:
    """How often viterbi falls back to a full max, for Viterbi columns (positions, L): the
    share of steps with an unsure label plus half the unsure labels per step."""
    split = split_transitions(trans, r)
    scored = columns + r
    top = np.argsort(-scored, axis=1, kind="stable")[:, :3]
    rows = np.arange(len(columns))[:, None]
    best = np.maximum(columns[rows, top[:, :1]] + trans[top[:, 0]],
                      columns[rows, top[:, 1:2]] + trans[top[:, 1]])
    best = np.maximum(best, np.maximum(columns[:, split.strong0] + split.strong0_trans,
                                       columns[:, split.strong1] + split.strong1_trans))
    unsure = ~(best > scored[rows, top[:, 2:3]] + split.bound_add)
    return float(unsure.any(axis=1).mean() + 0.5 * unsure.sum(axis=1).mean())


def fit_source_terms(trans: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The source term r of viterbi's bound that makes its full-max fallback rarest on the
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


def model_digest(model_path: str) -> str:
    """What the source terms file names its model by."""
    return hashlib.sha256(Path(model_path).read_bytes()).hexdigest()


def load_source_terms(model_path: str, tags: tuple[str, ...]) -> np.ndarray:
    """The fitted r shipped next to the model (address.training.train writes it), when it was
    fitted for this very model file; zeros otherwise (exact all the same, only slower)."""
    path = source_terms_path(model_path)
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["model_sha256"] == model_digest(model_path) and set(saved["r"]) == set(tags):
            return np.array([saved["r"][tag] for tag in tags])
    log.warning("no fitted Viterbi source terms for %s: parsing is slower (address.training.train "
                "--terms-only fits them)", model_path)
    return np.zeros(len(tags))


def save_source_terms(model_path: str, tags: tuple[str, ...], r: np.ndarray) -> Path:
    """Write r, fitted for the model at ``model_path``, next to it."""
    out = source_terms_path(model_path)
    out.write_text(json.dumps({
        "model_sha256": model_digest(model_path),
        "r": {tag: float(value) for tag, value in zip(tags, r, strict=True)},
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out
