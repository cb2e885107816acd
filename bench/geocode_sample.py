"""Geocoding quality on the sample district (the database `dizhi load sample` fills).

- town agreement: the town of each of the 850 real addresses, geocoded from its published text,
  against the town AMap gave it;
- noisy queries (bench/data/geocode_noisy_queries.csv): door-level hit rate (the answer is the
  address the query was made from) and the distance from the true point;
- village fallback: ``{town}{village}{n}组`` for every 村委会 of the district (admin_area), which
  must answer in that town and that village (its own area when no door is there);
- self-contradicting answers over all of these: an answer whose formatted_address or components
  name a town or village that its own codes contradict (``address.geocode.consistency``).

    python bench/geocode_sample.py --json
"""

import argparse
import csv
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg
from pyproj import Geod

from address.geocode.consistency import AreaNames, contradictions
from address.geocode.forward import GeocodeRequest, geocode
from address.geocode.results import GeocodeResult
from api.db import database_url
from spatial.coords import gcj02_to_wgs84

QINGPU = ("310118",)  # the district the sample register covers


def request(**fields: Any) -> GeocodeRequest:
    """A request over the sample district."""
    return GeocodeRequest(districts=QINGPU, **fields)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data/sample/qingpu_addresses_covid2022_amap.csv"
QUERIES = ROOT / "bench/data/geocode_noisy_queries.csv"
GEOD = Geod(ellps="WGS84")


class Checked:
    """Every answer the bench gets, checked for self-contradiction."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.names = AreaNames.load(conn)
        self.answers = 0
        self.examples: list[dict[str, Any]] = []

    def geocode(self, **fields: Any) -> GeocodeResult:
        result = geocode(self.conn, request(**fields))
        for c in result.candidates:
            self.answers += 1
            if found := contradictions(c, self.names):
                self.examples.append({"query": result.query, "answer": c.formatted_address,
                                      "towncode": c.towncode, "why": found})
        return result

    def summary(self) -> dict[str, Any]:
        return {"answers_checked": self.answers, "self_contradicting": len(self.examples),
                "contradiction_examples": self.examples[:5]}


def town_agreement(conn: Checked, rows: dict[int, dict[str, str]]) -> dict[str, float]:
    towns = dict(conn.conn.execute(
        "SELECT code, name FROM admin_area WHERE level = 'town'").fetchall())
    agree = answered = 0
    for row in rows.values():
        best = conn.geocode(text=f"上海市{row['district']}{row['address']}").best
        answered += best is not None
        agree += best is not None and towns.get(best.towncode or "") == row["street_level"]
    return {"addresses": len(rows), "answered": answered,
            "town_agreement": round(agree / len(rows), 4)}


def noisy(conn: Checked, rows: dict[int, dict[str, str]]) -> dict[str, object]:
    truth = dict(conn.conn.execute("SELECT line_no, address_code FROM address_source_record"
                              " WHERE source = 'amap_covid2022'").fetchall())
    with QUERIES.open(encoding="utf-8") as f:
        queries = list(csv.DictReader(f))
    hits, distances, per_kind, times = 0, [], defaultdict(lambda: [0, 0]), []
    for q in queries:
        line = int(q["sample_line"])
        start = time.perf_counter()
        best = conn.geocode(text=q["query"]).best
        times.append(time.perf_counter() - start)
        hit = best is not None and best.code == truth[line]
        hits += hit
        per_kind[q["noise"]][0] += hit
        per_kind[q["noise"]][1] += 1
        if best is not None:
            row = rows[line]
            lng, lat = gcj02_to_wgs84(float(row["gcj02_lng"]), float(row["gcj02_lat"]))
            distances.append(GEOD.inv(best.lng, best.lat, float(lng), float(lat))[2])
    return {"queries": len(queries), "door_hit_rate": round(hits / len(queries), 4),
            "noisy_answered": len(distances),
            "median_distance_m": round(statistics.median(distances), 1) if distances else None,
            "p90_distance_m": round(statistics.quantiles(distances, n=10)[-1], 1),
            "hit_rate_by_noise": {k: round(h / n, 3) for k, (h, n) in sorted(per_kind.items())},
            "p50_ms": round(statistics.median(times) * 1000, 2)}


_VILLAGES = """
    SELECT v.code, regexp_replace(v.name, '村委会$', '') AS village, t.code AS town_code,
           t.name AS town FROM admin_area v JOIN admin_area t ON t.code = v.parent_code
    WHERE v.level = 'community' AND v.name LIKE '%%村委会' AND v.code LIKE %s || '%%'
    ORDER BY v.code"""


def village_fallback(conn: Checked) -> dict[str, Any]:
    """``{town}{village}{n}组`` for every village committee of the district."""
    villages = conn.conn.execute(_VILLAGES, [QINGPU[0]]).fetchall()
    town = village = 0
    misses = []
    for i, (code, name, town_code, town_name) in enumerate(villages):
        best = conn.geocode(text=f"{town_name}{name}{i % 12 + 1}组").best
        town += best is not None and best.towncode == town_code
        village += best is not None and best.community_code == code
        if best is None or best.community_code != code:
            misses.append(f"{town_name}{name} → {best.formatted_address if best else None}")
    n = len(villages)
    return {"villages": n, "village_town_rate": round(town / n, 4),
            "village_rate": round(village / n, 4), "village_misses": misses[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON line (the default)")
    parser.parse_args()
    with SAMPLE.open(encoding="utf-8") as f:
        rows = {line: r for line, r in enumerate(csv.DictReader(f), start=2)}
    with psycopg.connect(database_url(), autocommit=True) as conn:
        checked = Checked(conn)
        result = {"bench": "geocode_sample", **town_agreement(checked, rows),
                  **noisy(checked, rows), **village_fallback(checked), **checked.summary()}
    json.dump(result, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
