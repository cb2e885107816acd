"""Cleaning and anomaly detection scored on the sample park's seeded faults (issue 18, measured).

    python bench/energy_quality.py [--seed 7] [--days 365] [--daily-days 0]
        [--database dizhi_bench_eq] [--base-database dizhi_bench_eq_base]

Loads the park's plan made with ``--seed`` (the shipped sample is seed 20180, used for
development; report on another) into a database of its own (a base with the sample district is
made once and cloned for each run), then prints JSON:

- ``cleaning``: per fault kind (reset, rollover, replacement, gap, glitch) how many were handled
  — the day holding it within 0.5 % of the truth and no slot of that day flagged impossible —
  and for all days of all meters the share within 0.5 % of the truth (days an interval meter's
  fault falsified — missing, negative, stuck — apart: their truth is not in the data);
``--daily-days N`` loads all but the plan's last N days in bulk (one recompute, as the sample
load does) and then feeds the last N a day at a time — each day's readings ingested and
recomputed — as a gateway posting daily would (the scores are of everything found).

- ``anomalies``: per kind precision and recall. A detection is a true positive when a truth
  event of that kind overlaps it (± an hour) on its meter, or on a meter counted below it for a
  behaviour anomaly (a spike in a sub-meter is a spike of its main meter too); recall counts
  each truth event on its own meter.
"""

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import db
from api.settings import get_settings
from data.generate import energy_park
from layers.energy import model, sample_faults, sample_park, sample_series
from layers.energy.readings import ingest_csv
from layers.energy.recompute import recompute_all
from spatial.sample import load_sample

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
BASE, RUN = "dizhi_bench_eq_base", "dizhi_bench_eq"
# truth kind → the detector's event kind
DETECTED = {"spike": "spike", "level_shift": "level_shift", "base_load_creep": "base_load_creep",
            "stuck": "flat_line", "negative": "impossible", "missing": "missing",
            "gap": "missing"}
BEHAVIOUR = ("spike", "level_shift", "base_load_creep")
CLEANING = ("reset", "rollover", "replacement", "gap", "glitch")
FALSIFYING = ("missing", "negative", "stuck")
TOLERANCE = 3600


def _database(admin_url: str, base: str = BASE, run: str = RUN) -> str:
    """A fresh run database cloned from the base (migrated, sample district loaded)."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [base]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(base)))
            url = db.database_url(database=base)
            db.migrate(url)
            with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
                load_sample(conn, sample_dir=SAMPLE)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(run)))
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(run), sql.Identifier(base)))
    return db.database_url(database=run)


def feed_days(conn: psycopg.Connection, plan: dict[str, Any], truth: dict[str, np.ndarray],
              first_day: int) -> int:
    """The plan's readings of the days from ``first_day`` on, a day at a time: each day's
    ingested and recomputed in a transaction of its own (its replacements recorded first)."""
    start = sample_series.local_start(plan)
    stamps = [(start + timedelta(seconds=900 * i)).isoformat()
              for i in range(plan["days"] * 96 + 1)]
    reported = [(m["id"], sample_faults.report(m, truth[m["id"]], plan["events"], start))
                for m in plan["meters"]]
    alarms = 0
    for day in range(first_day, plan["days"]):
        lines = []
        with conn.transaction():
            for meter_id, rep in reported:
                today = rep.between(start, day * 96, (day + 1) * 96)
                for at, old_final, new_initial in today.replacements:
                    model.record_replacement(conn, meter_id=meter_id, replaced_at=at,
                                             old_final=old_final, new_initial=new_initial)
                lines += [f"{meter_id},{stamps[i]},{v:.4f}\n"
                          for i, v in zip(today.at.tolist(), today.value.tolist(), strict=True)]
            ingest_csv(conn, data="".join(lines).encode(), header=False, source="sample")
            alarms += recompute_all(conn).alarms
    return alarms


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _descendants(plan: dict[str, Any]) -> dict[str, set[str]]:
    """Meter → the meters counted below it, at any depth (itself included)."""
    parent = {m["id"]: m["parent_id"] for m in plan["meters"] if m["counted_in_parent"]}
    out: dict[str, set[str]] = {m["id"]: {m["id"]} for m in plan["meters"]}
    for mid in parent:
        up = parent.get(mid)
        while up:
            out[up].add(mid)
            up = parent.get(up)
    return out


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] + TOLERANCE and a[1] > b[0] - TOLERANCE


def score_anomalies(plan: dict[str, Any], found: list[tuple[str, str, float, float]]
                    ) -> dict[str, dict[str, float]]:
    below = _descendants(plan)
    truths = [(e["meter_id"], DETECTED[e["kind"]], e["kind"],
               (_epoch(e["start"]), _epoch(e["end"]))) for e in plan["events"]
              if e["kind"] in DETECTED]
    out = {}
    for kind in sorted(set(DETECTED.values())):
        mine = [t for t in truths if t[1] == kind]
        dets = [f for f in found if f[1] == kind]
        tp = sum(any(_overlaps((d[2], d[3]), t[3]) and (
            d[0] == t[0] or (t[2] in BEHAVIOUR and t[0] in below[d[0]])) for t in mine)
            for d in dets)
        hit = sum(any(d[0] == t[0] and _overlaps((d[2], d[3]), t[3]) for d in dets)
                  for t in mine)
        out[kind] = {"truth": len(mine), "detected": len(dets),
                     "precision": round(tp / len(dets), 4) if dets else None,
                     "recall": round(hit / len(mine), 4) if mine else None}
    return out


def _days(conn: psycopg.Connection) -> dict[str, dict[float, float]]:
    rows = conn.execute("SELECT scope_id, extract(epoch FROM ts), value FROM energy_rollup"
                        " WHERE scope = 'meter' AND grain = 'day'").fetchall()
    out: dict[str, dict[float, float]] = {}
    for mid, ts, value in rows:
        out.setdefault(mid, {})[float(ts)] = float(value)
    return out


def score_cleaning(conn: psycopg.Connection, plan: dict[str, Any],
                   truth: dict[str, np.ndarray]) -> dict[str, Any]:
    start = sample_series.local_start(plan).timestamp()
    got = _days(conn)
    falsified = {(e["meter_id"], int((_epoch(e["start"]) - start) // 86400))
                 for e in plan["events"] if e["kind"] in FALSIFYING}
    errors, off = {}, []
    for mid, series in truth.items():
        want = series.reshape(-1, 96).sum(axis=1)
        for d, w in enumerate(want):
            g = got.get(mid, {}).get(start + 86400 * d)
            err = abs((g or 0.0) - w) / max(w, 1e-9) if w > 0 else abs(g or 0.0)
            errors[mid, d] = err
            if (mid, d) not in falsified and err > 0.005:
                off.append((mid, d, round(err, 4)))
    impossible = {(r[0], int((float(r[1]) - start) // 86400)) for r in conn.execute(
        "SELECT meter_id, extract(epoch FROM ts) FROM energy_interval"
        " WHERE flag IN ('negative', 'jump')")}
    faults: dict[str, dict[str, int]] = {}
    for e in plan["events"]:
        if e["kind"] in CLEANING:
            d = int((_epoch(e["start"]) - start) // 86400)
            ok = errors.get((e["meter_id"], d), 1.0) <= 0.005 and (
                e["meter_id"], d) not in impossible
            f = faults.setdefault(e["kind"], {"events": 0, "handled": 0})
            f["events"] += 1
            f["handled"] += int(ok)
    kept = [k for k in errors if k not in falsified]
    return {"faults": faults,
            "days": len(kept), "days_within_0_5pct": len(kept) - len(off),
            "share_within_0_5pct": round(1 - len(off) / max(len(kept), 1), 5),
            "worst": sorted(off, key=lambda x: -x[2])[:8],
            "falsified_days_apart": len(falsified)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--daily-days", type=int, default=0)
    parser.add_argument("--database", default=RUN)
    parser.add_argument("--base-database", default=BASE)
    args = parser.parse_args()
    settings = get_settings()
    cluster = db.embedded_cluster(settings)
    cluster.start()
    url = _database(cluster.url("postgres"), args.base_database, args.database)
    plan = sample_park.sliced(energy_park.plan(SAMPLE, args.seed), days=args.days)
    slots = plan["days"] * 96
    bulk_days = plan["days"] - args.daily_days
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            counts = sample_park.load_park(conn, plan=plan, sources_dirs=[SAMPLE],
                                           district=settings.district_codes[0],
                                           readings_through=bulk_days * 96)
        loaded = time.perf_counter() - t0
        truth = sample_series.truth(plan, sample_series.Sources.read([SAMPLE], slots), slots)
        t1 = time.perf_counter()
        daily_alarms = feed_days(conn, plan, truth, bulk_days) if args.daily_days else 0
        fed = time.perf_counter() - t1
        found = [(r[0], r[1], float(r[2]), float(r[3])) for r in conn.execute(
            'SELECT meter_id, kind, extract(epoch FROM start), extract(epoch FROM "end")'
            " FROM energy_alarm")]
        cleaning = score_cleaning(conn, plan, truth)
    print(json.dumps({"seed": args.seed, "days": plan["days"], "daily_days": args.daily_days,
                      "meters": len(plan["meters"]), "bulk_readings": counts["readings"],
                      "load_seconds": round(loaded, 1), "daily_seconds": round(fed, 1),
                      "daily_events": daily_alarms,
                      "cleaning": cleaning, "anomalies": score_anomalies(plan, found)},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
