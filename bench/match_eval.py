"""Address-matching quality on CCKS 2021 round-1 fold-0 dev (never used for fitting). Prints JSON.

    .venv/bin/python bench/match_eval.py

The matcher's weights are fitted on round-2 train only (``python -m address.training.train_match``).
Reports accuracy, macro-F1 and per-class P/R/F1 over the three labels.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from address.text.match import LABELS, match

DEV = Path("/work/shared/data/eval/address_matching/ccks2021/round1_train_fold0_dev.tsv")
TSV_LABELS = {"0": "不匹配", "1": "部分匹配", "2": "完全匹配"}


def main() -> None:
    rows = [line.split("\t") for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    pairs = [(q, c, TSV_LABELS[y.strip()]) for q, c, y in rows]
    start = time.perf_counter()
    pred = [match(q, c).label for q, c, _ in pairs]
    seconds = time.perf_counter() - start
    gold = [y for *_, y in pairs]
    tp = Counter(g for g, p in zip(gold, pred, strict=True) if g == p)
    per = {}
    for label in LABELS:
        n_pred, n_gold = pred.count(label), gold.count(label)
        p = tp[label] / n_pred if n_pred else 0.0
        r = tp[label] / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per[label] = {"p": round(100 * p, 2), "r": round(100 * r, 2), "f1": round(100 * f, 2),
                      "support": n_gold}
    print(json.dumps({
        "split": "ccks2021 address matching round1_train_fold0_dev.tsv",
        "pairs": len(pairs),
        "accuracy": round(100 * sum(tp.values()) / len(pairs), 2),
        "macro_f1": round(sum(v["f1"] for v in per.values()) / len(per), 2),
        "per_label": per,
        "pairs_per_s": round(len(pairs) / seconds),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
