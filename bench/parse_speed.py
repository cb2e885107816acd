"""Parsing throughput and 省/市/区 accuracy: dizhi vs cpca vs jionlp, same process, one core.

    .venv/bin/python bench/parse_speed.py [--jionlp-sample 2000]

Throughput on the 50,000 CCKS 2021 final-test addresses and the 18,367 company addresses. dizhi
runs ``parse()`` (every CCKS label plus admin codes), its tag cache emptied before each data set
(repeats inside a data set may hit it; ``no_cache`` shows the rate without it), and
``parse_many()`` over the whole list (numpy batch tagging, same model; the share of identical
results against ``parse()`` on the first 5,000 is reported). cpca runs its
batch ``transform``; jionlp's ``parse_location`` is slow, so it runs on the first
``--jionlp-sample`` addresses of each set. P/C/D accuracy is on CCKS dev, for the levels the gold
annotation has: a predicted name counts when it equals the gold text or one extends the other
(浙江 / 浙江省). Rates are addresses per CPU-second of the process pinned to one core, so other
load on a shared machine does not distort them. Prints JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from address import parse, parse_many, tagger
from address.corpus import read_ccks, spans
from address.fasttag import load_model
from address.resolve import unit_name

DATA = Path("/work/shared/data/eval")
LEVELS = ("prov", "city", "district")


def datasets() -> dict[str, list[str]]:
    test = DATA / "address_parsing" / "ccks2021" / "final_test.txt"
    ccks = [line.split("\x01", 1)[-1] for line in test.read_text(encoding="utf-8").splitlines()]
    with (DATA / "unlabeled" / "company_addresses.csv").open(encoding="utf-8") as fh:
        company = [row["原始地址"] for row in csv.DictReader(fh)]
    return {"ccks_final_test": ccks, "company_addresses": company}


def rate(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    """Addresses per CPU-second of this process (the machine is shared; wall time is noisy)."""
    start = time.process_time()
    fn(texts)
    return len(texts) / (time.process_time() - start)


def ours(texts: list[str]) -> list[dict[str, str]]:
    """The level as written when dizhi found it in the text, else the name its code implies."""
    out = []
    for text in texts:
        parsed = parse(text)
        comp = parsed.components
        out.append({lv: comp.get(lv) or unit_name(parsed.codes.get(lv, "")) for lv in LEVELS})
    return out


def ours_parse_only(texts: list[str]) -> None:
    for text in texts:
        parse(text)


def ours_batch(texts: list[str]) -> None:
    parse_many(texts)


def batch_agreement(texts: list[str]) -> float:
    """Share of addresses where parse_many() and parse() give identical results."""
    tagger.tag.cache_clear()
    same = sum(a.to_dict() == parse(t).to_dict() for a, t in zip(parse_many(texts), texts,
                                                                  strict=True))
    return round(100 * same / len(texts), 3)


def ours_no_cache(texts: list[str]) -> None:
    for text in texts:
        tagger.tag.cache_clear()
        parse(text)


def cpca_names(texts: list[str]) -> list[dict[str, str]]:
    import cpca

    df = cpca.transform(texts)
    def text(value: object) -> str:  # cpca leaves NaN where it found nothing
        return value if isinstance(value, str) else ""

    return [{"prov": text(p), "city": text(c), "district": text(d)}
            for p, c, d in zip(df["省"], df["市"], df["区"], strict=True)]


def jionlp_names(texts: list[str]) -> list[dict[str, str]]:
    import jionlp

    out = []
    for text in texts:
        r = jionlp.parse_location(text)
        out.append({"prov": r.get("province") or "", "city": r.get("city") or "",
                    "district": r.get("county") or ""})
    return out


def pcd_accuracy(fn: Callable[[list[str]], list[dict[str, str]]]) -> dict[str, Any]:
    dev = list(read_ccks(DATA / "address_parsing" / "ccks2021" / "dev.conll"))
    predicted = fn([text for text, _ in dev])
    correct = dict.fromkeys(LEVELS, 0)
    total = dict.fromkeys(LEVELS, 0)
    for (text, tags), pred in zip(dev, predicted, strict=True):
        gold = {label: text[s:e] for label, s, e in spans(tags) if label in LEVELS}
        for level, g in gold.items():
            p = pred.get(level, "") or ""
            total[level] += 1
            correct[level] += bool(p) and (p.startswith(g) or g.startswith(p))
    return {lv: round(100 * correct[lv] / total[lv], 2) for lv in LEVELS} | {"support": total}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jionlp-sample", type=int, default=2000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})  # one core for everyone
    ours(["上海市青浦区华新镇华腾路1288号"])
    load_model(str(tagger.MODEL))  # the batch path's one-off model load is not throughput
    cpca_names(["上海市青浦区华新镇华腾路1288号"])
    jionlp_names(["上海市青浦区华新镇华腾路1288号"])
    result: dict[str, Any] = {"throughput_addresses_per_s": {}}
    for name, texts in datasets().items():
        tagger.tag.cache_clear()
        row = {"n": len(texts), "unique": len(set(texts)),
               "dizhi_parse": rate(ours_parse_only, texts),
               "dizhi_parse_many": rate(ours_batch, texts),
               "dizhi_no_cache": rate(ours_no_cache, texts[:10000]),
               "cpca": rate(cpca_names, texts),
               "jionlp": rate(jionlp_names, texts[:args.jionlp_sample])}
        row = {k: round(v) if isinstance(v, float) else v for k, v in row.items()}
        for mode in ("parse", "parse_many"):
            row[f"dizhi_{mode}_over_cpca"] = round(row[f"dizhi_{mode}"] / row["cpca"], 3)
            row[f"dizhi_{mode}_over_jionlp"] = round(row[f"dizhi_{mode}"] / row["jionlp"], 1)
        row["parse_many_equals_parse_pct"] = batch_agreement(texts[:5000])
        result["throughput_addresses_per_s"][name] = row
    result["pcd_accuracy_ccks_dev"] = {
        "dizhi": pcd_accuracy(ours),
        "cpca": pcd_accuracy(cpca_names),
        "jionlp": pcd_accuracy(jionlp_names),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
