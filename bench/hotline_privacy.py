"""Hotline privacy (JSON out): masking recall per kind and false masking of what must stay readable.

    .venv/bin/python bench/hotline_privacy.py [--seed 12345] [--per-kind 80] [--failures]

The planted set is written fresh by the seeded generator in ``bench/hotline_pii_set.py`` (complaint
sentences, one item of personal data each, in its written forms). An item counts as masked when
every letter and digit of the part that must go (``mask``: the number, the given name, a plate's
serial, an e-mail's local part) came out as ``*``. A readable item (door number, date, time,
amount, road) counts as falsely masked when any of its characters changed. Targets: recall ≥ 99 %
per kind, false masking ≤ 0.5 % per readable kind.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hotline_pii_set import KINDS, planted_set  # noqa: E402

from layers.hotline.mask import mask  # noqa: E402

READABLE = ("door", "date", "time", "amount", "road")


def item_masked(text: str, masked: str, value: str, part: str) -> bool:
    at = text.find(value)
    start = at + value.find(part)
    if at < 0:
        raise ValueError(f"{value!r} not in {text!r}")
    got = masked[start:start + len(part)]
    return all(m == "*" for o, m in zip(part, got, strict=True) if o.isalnum())


def item_readable(text: str, masked: str, value: str) -> bool:
    at = text.find(value)
    return masked[at:at + len(value)] == value


def evaluate(rows: list[dict[str, Any]], failures: bool) -> dict[str, Any]:
    hit, seen, kept, shown = Counter(), Counter(), Counter(), Counter()
    missed: list[dict[str, str]] = []
    started = time.perf_counter()
    for row in rows:
        text, planted = row["text"], row["planted"]
        out = mask(text).text
        seen[planted["kind"]] += 1
        if item_masked(text, out, planted["value"], planted["mask"]):
            hit[planted["kind"]] += 1
        elif failures:
            missed.append({"kind": planted["kind"], "text": text, "masked": out})
        for item in row["readable"]:
            shown[item["kind"]] += 1
            if item_readable(text, out, item["value"]):
                kept[item["kind"]] += 1
            elif failures:
                missed.append({"kind": f"false:{item['kind']}", "text": text, "masked": out})
    seconds = time.perf_counter() - started
    recall = {k: {"items": seen[k], "masked": hit[k], "recall": round(hit[k] / seen[k], 4)}
              for k in KINDS}
    false = {k: {"items": shown[k], "masked": shown[k] - kept[k],
                 "false_masking": round((shown[k] - kept[k]) / shown[k], 4)}
             for k in READABLE if shown[k]}
    report: dict[str, Any] = {
        "sentences": len(rows), "planted_items": sum(seen.values()),
        "recall": recall, "false_masking": false,
        "min_recall": min(v["recall"] for v in recall.values()),
        "max_false_masking": max(v["false_masking"] for v in false.values()),
        "texts_per_s": round(len(rows) / seconds),
    }
    report["pass"] = report["min_recall"] >= 0.99 and report["max_false_masking"] <= 0.005
    if failures:
        report["failures"] = missed
    return report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--per-kind", type=int, default=80)
    ap.add_argument("--failures", action="store_true", help="list what was missed")
    args = ap.parse_args(argv)
    rows = planted_set(args.seed, args.per_kind)
    report = {"seed": args.seed, **evaluate(rows, args.failures)}
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
