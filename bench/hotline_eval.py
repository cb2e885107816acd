"""Hotline quality on the sets in tests/data/ (JSON out): routing and masking.

    .venv/bin/python bench/hotline_eval.py [--failures]

Routing (``hotline_complaints.csv``, each text routed as `dizhi hotline route` does, nothing
stored): town accuracy (a Qingpu complaint in its expected town; a neighbouring district's not
routed into Qingpu), community accuracy over the rows with an expected community, and the share
given the right unit: the unit the responsibility table gives for the expected chain and category.
Masking (``hotline_masking.csv``): recall per kind (every digit of a planted number masked; a
name counts when its given name, or a lone surname before 先生, is masked) and the false-masking
rate (door numbers and dates with any character changed).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import db  # noqa: E402
from layers.hotline.mask import fold_digits, mask  # noqa: E402
from layers.hotline.rules import chain_names, decide, load_rules  # noqa: E402
from layers.hotline.tickets import route_text  # noqa: E402
from spatial.coords import parse_coordsys, to_wgs84  # noqa: E402

DATA = ROOT / "tests" / "data"
DISTRICTS = ("310118",)  # the sets are Qingpu complaints


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _gps(row: dict[str, str]) -> tuple[float, float] | None:
    if not row["lng"]:
        return None
    x, y = to_wgs84(float(row["lng"]), float(row["lat"]), parse_coordsys(row["coordsys"]))
    return float(x), float(y)


def _expected_chain(row: dict[str, str]) -> dict[str, str]:
    chain = {"district": row["expected_district"], "town": row["expected_town"],
             "community": row["expected_community"]}
    return {k: v for k, v in chain.items() if v}


def _share(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def routing(conn: psycopg.Connection, data: Path, failures: bool) -> dict[str, Any]:
    rules = load_rules(conn)
    rows = _rows(data / "hotline_complaints.csv")
    town = community = community_n = unit = 0
    by_variant: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[dict[str, Any]] = []
    disagree = Counter[str]()
    started = time.perf_counter()
    for row in rows:
        r = route_text(conn, text=row["text"], service_code=row["service_code"], gps=_gps(row),
                       rules=rules, districts=DISTRICTS)
        got_town = r.chain.get("town")
        if row["kind"] == "neighbour":
            town_ok = not any(c.startswith("310118") for c in r.chain.values())
        else:
            town_ok = got_town == row["expected_town"]
        expected_unit = decide(rules, service_code=row["service_code"],
                               values=chain_names(conn, _expected_chain(row))).unit
        unit_ok = r.assignment.unit == expected_unit
        town, unit = town + town_ok, unit + unit_ok
        if row["expected_community"]:
            community_n += 1
            community += r.chain.get("community") == row["expected_community"]
        for v in [*(row["variants"] or "plain").split(";"), f"kind:{row['kind']}"]:
            by_variant[v]["n"] += 1
            by_variant[v]["town_ok"] += town_ok
        if "gps" in row["variants"]:
            disagree[f"{row['variants'].split(';')[-1]}:{r.gps_disagrees}"] += 1
        if failures and not (town_ok and unit_ok):
            misses.append({"id": row["id"], "text": row["text"], "expected": row["expected_town"],
                           "got": got_town, "level": r.level, "unit": r.assignment.unit,
                           "expected_unit": expected_unit, "address_text": r.address_text})
    n = len(rows)
    result: dict[str, Any] = {
        "complaints": n, "town_accuracy": _share(town, n),
        "community_accuracy": _share(community, community_n), "community_rows": community_n,
        "right_unit_share": _share(unit, n),
        "ms_per_complaint": round((time.perf_counter() - started) / n * 1000, 1),
        "town_accuracy_by_variant": {k: {"n": c["n"], "town_accuracy": _share(c["town_ok"], c["n"])}
                                     for k, c in sorted(by_variant.items())},
        "gps_disagreement_flags": dict(disagree)}
    if failures:
        result["failures"] = misses
    return result


def _masked(original: str, masked: str, value: str, kind: str) -> bool:
    start = fold_digits(original).find(fold_digits(value))
    if start < 0:
        raise ValueError(f"{value!r} not in {original!r}")
    got = masked[start:start + len(value)]
    if kind != "name":
        return all(m == "*" for o, m in zip(fold_digits(value), got, strict=True) if o.isdigit())
    if len(value) == 1:
        return got == "*"
    return all(ch == "*" for ch in got[1:])


def masking(data: Path, failures: bool) -> dict[str, Any]:
    recall: dict[str, Counter[str]] = defaultdict(Counter)
    kept = changed = 0
    misses: list[dict[str, str]] = []
    for row in _rows(data / "hotline_masking.csv"):
        masked = mask(row["text"]).text
        for kind, value in json.loads(row["planted"]):
            ok = _masked(row["text"], masked, value, kind)
            recall[kind]["n"] += 1
            recall[kind]["hit"] += ok
            if failures and not ok:
                misses.append({"kind": kind, "value": value, "masked": masked})
        for value in json.loads(row["keep"]):
            kept += 1
            start = row["text"].find(value)
            if masked[start:start + len(value)] != value:
                changed += 1
                if failures:
                    misses.append({"kind": "false_mask", "value": value, "masked": masked})
    numbers = [k for k in recall if k != "name"]
    hits = sum(recall[k]["hit"] for k in numbers)
    total = sum(recall[k]["n"] for k in numbers)
    result: dict[str, Any] = {
        "number_recall": _share(hits, total), "planted_numbers": total,
        "recall_by_kind": {k: {"n": c["n"], "recall": _share(c["hit"], c["n"])}
                           for k, c in sorted(recall.items())},
        "false_masking_rate": _share(changed, kept), "door_numbers_and_dates": kept}
    if failures:
        result["failures"] = misses
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--failures", action="store_true", help="list what went wrong")
    parser.add_argument("--data", type=Path, default=DATA, help="directory of the two sets")
    args = parser.parse_args()
    with psycopg.connect(db.database_url()) as conn:
        result = {"data": str(args.data), "routing": routing(conn, args.data, args.failures),
                  "masking": masking(args.data, args.failures)}
        conn.rollback()
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
