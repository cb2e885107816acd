"""Fit the matcher's weights: ``.venv/bin/python -m address.training.train_match``.

Multinomial logistic regression (numpy, full-batch gradient descent with L2) over
:func:`address.text.match.features`, fitted on CCKS 2021 address-matching round-2 train only; the
round-1 fold-0 dev file is what ``bench/match_eval.py`` reports on. Classes are weighted by
inverse frequency so 完全匹配 (10 % of pairs) is not drowned out. Writes
``address/data/match_weights.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from address.parse.parser import parse
from address.text.match import LABELS, WEIGHTS, features

DATA = Path("/work/shared/data/eval/address_matching/ccks2021/round2_train.jsonl")


def load_pairs(path: Path) -> list[tuple[str, str, int]]:
    """(query, candidate, class index) from the round-2 JSONL."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for cand in row["candidate"]:
            pairs.append((row["query"], cand["text"], LABELS.index(cand["label"])))
    return pairs


def fit(x: np.ndarray, y: np.ndarray, *, l2: float, steps: int, lr: float,
        balanced: bool = True) -> np.ndarray:
    """Weights (classes × features) by gradient descent on (class-weighted) cross-entropy."""
    k = len(LABELS)
    counts = np.bincount(y, minlength=k).astype(float)
    sample_w = (len(y) / (k * counts))[y] if balanced else np.ones(len(y))
    onehot = np.eye(k)[y]
    w = np.zeros((k, x.shape[1]))
    for _ in range(steps):
        logits = x @ w.T
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = ((p - onehot) * sample_w[:, None]).T @ x / len(y) + l2 * w
        w -= lr * grad
    return w


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    scores = []
    for k in range(len(LABELS)):
        tp = float(((pred == k) & (gold == k)).sum())
        p = tp / max(1, int((pred == k).sum()))
        r = tp / max(1, int((gold == k).sum()))
        scores.append(2 * p * r / (p + r) if p + r else 0.0)
    return sum(scores) / len(scores)


def choose_weighting(x: np.ndarray, y: np.ndarray) -> bool:
    """Class-balanced or plain loss, whichever gives the better macro-F1 on the last fifth of
    round-2 train when fitted on the rest (tuning stays inside the training file)."""
    cut = len(y) * 4 // 5
    best: tuple[float, bool] = (-1.0, True)
    for balanced in (True, False):
        w = fit(x[:cut], y[:cut], l2=1e-4, steps=3000, lr=0.5, balanced=balanced)
        score = macro_f1(y[cut:], (x[cut:] @ w.T).argmax(axis=1))
        print(f"balanced={balanced}: holdout macro-F1 {score:.4f}")
        best = max(best, (score, balanced))
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    pairs = load_pairs(args.data)
    parsed = {text: parse(text) for pair in pairs for text in pair[:2]}
    x = np.array([features(parsed[a], parsed[b]) for a, b, _ in pairs])
    y = np.array([label for *_, label in pairs])
    balanced = choose_weighting(x, y)
    w = fit(x, y, l2=1e-4, steps=3000, lr=0.5, balanced=balanced)
    acc = float(((x @ w.T).argmax(axis=1) == y).mean())
    args.out.write_text(json.dumps({"labels": LABELS, "weights": w.round(5).tolist(),
                                    "train_pairs": len(pairs), "train_accuracy": round(acc, 4)},
                                   ensure_ascii=False), encoding="utf-8")
    print(f"{len(pairs)} pairs, train accuracy {acc:.3f} → {args.out}")


if __name__ == "__main__":
    main()
