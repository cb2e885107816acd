"""Hand-over accuracy (JSON out): complaints about every Shanghai district, routed as
`dizhi hotline route` does; is each given its district's code and unit (转X区12345分中心; the home
district its own units), and one outside Shanghai its city's hotline?

    .venv/bin/python bench/hotline_handover.py [--per-form 12] [--seed 20261201] [--failures]

The texts are generated, seeded, from real names: each district's roads from real addresses
(the road table the router uses, ``layers/hotline/data/shanghai_roads.csv``), its towns from the
NBS division list, put into complaint sentences in four forms that name the place
(区+路, 上海市+区+路, 区+镇/街道+路, 镇/街道+路). Two forms name only a road and are reported
apart, not in the headline: roads of the table (``road_only_table``: the table's own lookup
inside a sentence) and roads of the held-out address sets the table was not built from
(CCKS 2021 final_test and the dev splits, ``road_only_held_out``: what the table misses).
Outside Shanghai: real non-Shanghai company addresses (cpca corpus), their city from the
gazetteer. Needs a database migrated to head with the sample loaded (``--database-url``).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from address.parse import gazetteer  # noqa: E402
from address.parse.parser import parse  # noqa: E402
from address.text.standard import standardize  # noqa: E402
from api import db  # noqa: E402
from layers.hotline.handover import ROADS, city_of, road_districts  # noqa: E402
from layers.hotline.roads_build import labelled_pairs  # noqa: E402
from layers.hotline.tickets import route_text  # noqa: E402

SHARED = Path("/work/shared/data")
HOME = "310118"
NAMED_FORMS = ("district", "city_district", "district_town", "town")
COMPLAINTS = ("来电反映{a}门口垃圾堆放多日无人清理", "市民投诉{a}附近工地夜间施工噪音扰民",
              "{a}有商户占道经营，希望有关部门处理", "反映{a}小区门口路灯不亮已经一周",
              "诉求人称{a}下水道堵塞，污水外溢", "{a}旁边绿化带被人毁坏种菜",
              "网友反映：{a}楼下餐馆油烟扰民", "{a}人行道上共享单车乱停放")


def _roads_by_district() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    with ROADS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if road_districts().get(row["road"]) == row["district_code"]:
                out[row["district_code"]].append(row["road"])
    return out


def _towns_by_district() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    path = SHARED / "admin" / "shanghai_admin_divisions_2021.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["level"] == "4":
                out[row["parent_code"]].append(row["name"])
    return out


def _held_out_roads() -> dict[str, list[str]]:
    """(district, road) of Shanghai addresses in sets the road table was not built from, roads
    the table lacks."""
    known = road_districts()
    pairs: set[tuple[str, str]] = set()
    parsing = SHARED / "eval" / "address_parsing"
    for path in (parsing / "ccks2021/dev.conll", parsing / "naacl2019/dev.txt"):
        pairs.update(labelled_pairs(path))
    for line in (parsing / "ccks2021/final_test.txt").read_text(encoding="utf-8").splitlines():
        text = line.split("\x01", 1)[-1]
        if "上海" in text:
            form = standardize(parse(text))
            code, road = form.codes.get("district"), form.components.get("road")
            if code and code.startswith("31") and len(code) == 6 and road:
                pairs.add((code, road))
    out: dict[str, list[str]] = defaultdict(list)
    for code, road in sorted(pairs):
        if road not in known and "0" not in road:
            out[code].append(road)
    return out


def _address(rng: random.Random, form: str, district: str, road: str, town: str) -> str:
    name = gazetteer.load().units[district].name
    door = f"{rng.randint(1, 1999)}{rng.choice('号号号弄')}"
    return {"district": f"{name}{road}{door}", "city_district": f"上海市{name}{road}{door}",
            "district_town": f"{name}{town}{road}{door}", "town": f"{town}{road}{door}",
            "road": f"{road}{door}"}[form]


def shanghai_cases(rng: random.Random, per_form: int) -> list[dict[str, str]]:
    roads, towns, held = _roads_by_district(), _towns_by_district(), _held_out_roads()
    cases = []
    for district in sorted(towns):
        for form in (*NAMED_FORMS, "road_only_table", "road_only_held_out"):
            pool = held.get(district, []) if form == "road_only_held_out" else roads[district]
            for _ in range(per_form if pool else 0):
                road, town = rng.choice(pool), rng.choice(towns[district])
                shape = "road" if form.startswith("road_only") else form
                text = rng.choice(COMPLAINTS).format(a=_address(rng, shape, district, road, town))
                cases.append({"district": district, "form": form, "text": text})
    return cases


def outside_cases(rng: random.Random, n: int) -> list[dict[str, str]]:
    path = SHARED / "eval" / "unlabeled" / "company_addresses.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        texts = [r["原始地址"] for r in csv.DictReader(fh) if "上海" not in r["原始地址"]]
    cases = []
    for text in rng.sample(texts, len(texts)):
        code = standardize(parse(text)).codes.get("district")
        city = city_of(code) if code and not code.startswith("31") else None
        if city:
            cases.append({"city": city[1], "text": rng.choice(COMPLAINTS).format(a=text)})
        if len(cases) == n:
            break
    return cases


def _expected_unit(district: str) -> str | None:
    return None if district == HOME else f"转{gazetteer.load().units[district].name}12345分中心"


def _share(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def run(conn: psycopg.Connection, cases: list[dict[str, str]], outside: list[dict[str, str]],
        failures: bool) -> dict[str, Any]:
    hits: Counter[tuple[str, str]] = Counter()
    seen: Counter[tuple[str, str]] = Counter()
    wrong = []
    for case in cases:
        routing = route_text(conn, text=case["text"], districts=(HOME,))
        expected = _expected_unit(case["district"])
        unit = routing.assignment.unit or ""
        ok = routing.chain.get("district") == case["district"] and (
            unit == expected if expected else "12345" not in unit)
        seen[case["district"], case["form"]] += 1
        hits[case["district"], case["form"]] += ok
        if not ok and failures:
            wrong.append({**case, "got_district": routing.chain.get("district"), "unit": unit})
    out_hits = 0
    for case in outside:
        unit = route_text(conn, text=case["text"], districts=(HOME,)).assignment.unit
        out_hits += unit == f"转{case['city']}12345热线"
        if unit != f"转{case['city']}12345热线" and failures:
            wrong.append({**case, "unit": unit})
    return _report(hits, seen, out_hits, len(outside), wrong if failures else None)


def _report(hits: Counter[tuple[str, str]], seen: Counter[tuple[str, str]], out_hits: int,
            out_n: int, wrong: list[dict[str, Any]] | None) -> dict[str, Any]:
    def over(forms: tuple[str, ...], district: str | None = None) -> dict[str, Any]:
        keys = [k for k in seen if k[1] in forms and district in (None, k[0])]
        n, h = sum(seen[k] for k in keys), sum(hits[k] for k in keys)
        return {"n": n, "accuracy": _share(h, n)}

    districts = sorted({d for d, _ in seen})
    report: dict[str, Any] = {
        "headline_named": over(NAMED_FORMS),
        "per_district_named": {d: over(NAMED_FORMS, d)["accuracy"] for d in districts},
        "per_form": {f: over((f,)) for f in (*NAMED_FORMS, "road_only_table",
                                              "road_only_held_out")},
        "per_district_road_only_table": {d: over(("road_only_table",), d)["accuracy"]
                                         for d in districts},
        "outside_shanghai": {"n": out_n, "accuracy": _share(out_hits, out_n)},
    }
    if wrong is not None:
        report["failures"] = wrong
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-form", type=int, default=12, help="texts per district and form")
    parser.add_argument("--outside", type=int, default=100, help="texts outside Shanghai")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--failures", action="store_true", help="list what went wrong")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases, outside = shanghai_cases(rng, args.per_form), outside_cases(rng, args.outside)
    started = time.perf_counter()
    with psycopg.connect(args.database_url or db.database_url(), autocommit=True) as conn:
        report = run(conn, cases, outside, args.failures)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["seed"], report["texts_per_form"] = args.seed, args.per_form
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
