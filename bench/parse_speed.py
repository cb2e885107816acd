"""Parsing throughput and 省/市/区 accuracy: dizhi vs cpca vs jionlp, same process, one core;
and whole processes as a user runs them.

    .venv/bin/python bench/parse_speed.py [--repeat 3] [--jionlp-sample 2000]
                                          [--process-rounds 5] [--process-only]

Throughput on the 50,000 CCKS 2021 final-test addresses and the 18,367 company addresses, in
addresses per CPU-second of this process pinned to one core. Each round runs every tool once on
the whole set, in turn; a tool's figure is its best round (``--repeat`` rounds; every round is in
``rounds``), so load from elsewhere on a shared machine hurts all tools alike and the ratios are
fair. dizhi runs

- ``parse_batch`` (``batch``): every CCKS label with offsets and the admin codes, as arrays
  (``ParsedBatch``; ``batch[i]`` is a ParsedAddress made on access);
- ``parse_many`` (``objects``): the same plus one ParsedAddress with its Span objects per text;
- ``parse`` (``single``): one call per address on the first 10,000 (the API's path).

cpca runs its batch ``transform`` (its DataFrame of 省/市/区/地址/adcode); jionlp's
``parse_location`` is slow, so it runs on the first ``--jionlp-sample`` addresses of each set.
``equals_reference_pct`` is the share of the set where ``parse_many`` gives exactly what
``parse_reference`` (the python-crfsuite statement of the parser) gives. P/C/D accuracy is on
CCKS dev, for the levels the gold annotation has: a predicted name counts when it equals the gold
text or one extends the other (浙江 / 浙江省).

``whole_process_s`` times whole processes, wall clock, started from this one (not pinned): ``dizhi
parse`` over the 50,000 CCKS final-test addresses (one per line on stdin, JSON lines out) and a
Python process running ``cpca.transform`` over the same file (its DataFrame written as CSV), in
turn, ``--process-rounds`` rounds, so both see the same load; ``dizhi_over_cpca`` is the ratio of
their best (and of their median) rounds, in wall and in CPU seconds (user + system; steadier on a
shared machine), ≤ 1 when dizhi is no slower as a user sees it. Also a
one-line ``dizhi parse`` and ``dizhi --help``. The machine's load average is in ``uptime``.
Prints JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from startup import serve_times

from address import parse, parse_many
from address.parse.corpus import read_ccks, spans
from address.parse.parser import parse_batch, parse_reference
from address.parse.resolve import unit_name

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
    for parsed in parse_many(texts):
        comp = parsed.components
        out.append({lv: comp.get(lv) or unit_name(parsed.codes.get(lv, "")) for lv in LEVELS})
    return out


def ours_single(texts: list[str]) -> None:
    from address.parse.parser import clear_cache

    clear_cache()  # each round starts cold; repeats inside the set may hit it
    for text in texts:
        parse(text)


def cpca_transform(texts: list[str]) -> None:
    import cpca

    cpca.transform(texts)


def jionlp_parse(texts: list[str]) -> None:
    import jionlp

    for text in texts:
        jionlp.parse_location(text)


def agreement(texts: list[str]) -> float:
    """Share of texts where parse_many() gives exactly what parse_reference() gives."""
    same = sum(a.to_dict() == parse_reference(t).to_dict()
               for a, t in zip(parse_many(texts), texts, strict=True))
    return round(100 * same / len(texts), 3)


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


def throughput(texts: list[str], repeat: int, jionlp_sample: int) -> dict[str, Any]:
    tools: dict[str, tuple[Callable[[list[str]], object], list[str]]] = {
        "dizhi_batch": (parse_batch, texts),
        "dizhi_objects": (parse_many, texts),
        "dizhi_single": (ours_single, texts[:10000]),
        "cpca": (cpca_transform, texts),
        "jionlp": (jionlp_parse, texts[:jionlp_sample]),
    }
    rounds: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(repeat):
        for name, (fn, sample) in tools.items():
            rounds[name].append(rate(fn, sample))
    row: dict[str, Any] = {"n": len(texts), "unique": len(set(texts)),
                           "mean_chars": round(sum(map(len, texts)) / len(texts), 1)}
    row |= {name: round(max(r)) for name, r in rounds.items()}
    for mode in ("batch", "objects", "single"):
        row[f"dizhi_{mode}_over_cpca"] = round(row[f"dizhi_{mode}"] / row["cpca"], 3)
        row[f"dizhi_{mode}_over_jionlp"] = round(row[f"dizhi_{mode}"] / row["jionlp"], 1)
    row["median_round"] = {name: round(statistics.median(r)) for name, r in rounds.items()}
    row["rounds"] = {name: [round(x) for x in r] for name, r in rounds.items()}
    return row


ROOT = Path(__file__).resolve().parents[1]
_DIZHI = [sys.executable, "-c", "from api.cli.main import main; main()"]  # the console script
_CPCA = ("import sys, cpca\n"
         "texts = open(sys.argv[1], encoding='utf-8').read().split('\\n')[:-1]\n"
         "cpca.transform(texts).to_csv(sys.stdout)\n")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wall(command: list[str], stdin: Path | None, root: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run of ``command``."""
    with (stdin.open("rb") if stdin else open(os.devnull, "rb")) as fh:
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, stdin=fh, stdout=subprocess.DEVNULL, cwd=root, check=True)
        return time.perf_counter() - start, _children_cpu() - cpu


def api_ready(root: Path, port: int = 8391) -> float:
    """Wall seconds from starting the API process (uvicorn, one worker) to its first answer
    of /healthz (``bench/startup.py``, which also times the first /geocode)."""
    return serve_times(root, port)["healthz_s"]


def whole_process(texts: list[str], rounds: int, root: Path = ROOT) -> dict[str, Any]:
    """Wall seconds of whole processes, interleaved round by round (see the docstring)."""
    if importlib.util.find_spec("cpca") is None:
        sys.exit("bench/parse_speed.py: the peer cpca is not installed"
                 " (.venv/bin/pip install -e '.[bench]')")
    with tempfile.TemporaryDirectory() as tmp:
        many, one = Path(tmp) / "ccks.txt", Path(tmp) / "one.txt"
        many.write_text("\n".join(texts) + "\n", encoding="utf-8")
        one.write_text("上海市青浦区华志路559号\n", encoding="utf-8")
        runs: dict[str, tuple[list[str], Path | None]] = {
            "dizhi_parse": ([*_DIZHI, "parse"], many),
            "cpca_transform": ([sys.executable, "-c", _CPCA, str(many)], None),
            "dizhi_parse_one_line": ([*_DIZHI, "parse"], one),
            "dizhi_help": ([*_DIZHI, "--help"], None),
        }
        _wall(*runs["dizhi_parse_one_line"], root)  # the stored tables and numba's cache exist
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        ready: list[float] = []
        for _ in range(rounds):
            for name, (command, stdin) in runs.items():
                times[name].append(_wall(command, stdin, root))
            ready.append(api_ready(root))
    out: dict[str, Any] = {"n": len(texts), "rounds": rounds}
    for name, t in times.items():
        wall, cpu = [w for w, _ in t], [c for _, c in t]
        out[name] = {"best": round(min(wall), 3), "median": round(statistics.median(wall), 3),
                     "all": [round(x, 3) for x in wall], "cpu_best": round(min(cpu), 3),
                     "cpu_median": round(statistics.median(cpu), 3)}
    out["api_ready"] = {"best": round(min(ready), 3), "median": round(statistics.median(ready), 3)}
    out["dizhi_over_cpca"] = {
        key: round(out["dizhi_parse"][key] / out["cpca_transform"][key], 3)
        for key in ("best", "median", "cpu_best", "cpu_median")}
    out["uptime"] = os.getloadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--process-rounds", type=int, default=5)
    parser.add_argument("--process-only", action="store_true",
                        help="only the whole-process timings")
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the checkout whose dizhi the whole processes run (default: this)")
    parser.add_argument("--jionlp-sample", type=int, default=2000)
    parser.add_argument("--agreement-sample", type=int, default=0,
                        help="texts per set compared with parse_reference (0: all)")
    args = parser.parse_args()
    ccks = datasets()["ccks_final_test"]
    result: dict[str, Any] = {"whole_process_s": whole_process(ccks, args.process_rounds,
                                                               args.root)}
    if args.process_only:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})  # one core for everyone
    warm = ["上海市青浦区华新镇华腾路1288号"]
    parse_many(warm)  # the model tables and compiled code load once per process
    cpca_transform(warm)
    with contextlib.redirect_stdout(sys.stderr):  # jionlp prints a banner when imported
        jionlp_parse(warm)
    result["throughput_addresses_per_s"] = {}
    for name, texts in datasets().items():
        row = throughput(texts, args.repeat, args.jionlp_sample)
        row["equals_reference_pct"] = agreement(texts[:args.agreement_sample or None])
        result["throughput_addresses_per_s"][name] = row
    result["pcd_accuracy_ccks_dev"] = {
        "dizhi": pcd_accuracy(ours),
        "cpca": pcd_accuracy(cpca_names),
        "jionlp": pcd_accuracy(jionlp_names),
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
