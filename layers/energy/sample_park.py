"""Loading the SYNTHETIC sample park (plan written by data/generate/energy_park.py).

The plan's enterprises are geocoded at their real addresses (the register's code kept as their
standard address code), each placed in the nearest fused building not taken by another address
(enterprises at one address share it: floor shares), the park's polygon drawn around them; then
the meters, the readings derived at load time (``sample_series``, ``sample_faults``), the meter
swaps, and a recompute (clean, roll up, detect). ``days`` and ``enterprises`` load a slice (the
first days, the first enterprises and the feeders above them) for tests.
"""

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg import Connection

from address.geocode.batch import geocode_texts
from address.transactions import require_transaction
from layers.energy import model, sample_faults, sample_series
from layers.energy.readings import ingest_csv
from layers.energy.recompute import recompute_all

PLAN_FILE = "energy/park_plan_synthetic.json"
PREFIX = re.compile(r"^(中国)?(上海市?)*(青浦区|青浦)?")
ROOM = re.compile(r"(室|层|楼|座|幢|栋)")
BATCH_ROWS = 600_000
NEAREST_FREE = """
SELECT id FROM building WHERE NOT (id = ANY(%(taken)s))
ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) LIMIT 1
"""
PARK_OUTLINE = """
SELECT ST_AsText(ST_Multi(ST_Buffer(ST_ConvexHull(ST_Collect(geom))::geography, 300)::geometry))
FROM building WHERE id = ANY(%s)
"""


def read_plan(sample_dir: Path) -> dict[str, Any] | None:
    path = sample_dir / PLAN_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def sliced(plan: dict[str, Any], *, days: int | None = None,
           enterprises: int | None = None) -> dict[str, Any]:
    """The plan cut to its first ``days`` and first ``enterprises`` (with their feeders)."""
    keys = {e["key"] for e in plan["enterprises"][:enterprises]}
    meters = [m for m in plan["meters"] if m.get("enterprise") in keys]
    feeders = {m["parent_id"] for m in meters if m["parent_id"]}
    meters = [m for m in plan["meters"] if m["id"] in feeders and "enterprise" not in m] + meters
    ids = {m["id"] for m in meters}
    days = min(days or plan["days"], plan["days"])
    end = sample_series.local_start(plan) + timedelta(days=days)
    return {**plan, "days": days,
            "enterprises": [e for e in plan["enterprises"] if e["key"] in keys],
            "meters": meters, "events": [e for e in plan["events"] if e["meter_id"] in ids
                                         and datetime.fromisoformat(e["start"]) < end]}


def building_key(address: str) -> str:
    """What enterprises at one building share: the address up to its 号 (or all of it)."""
    text = PREFIX.sub("", address)
    match = re.match(r"^(.*?\d+号)", text)
    return match.group(1) if match else text


def _place(conn: Connection, enterprises: list[dict[str, Any]], district: str
           ) -> dict[str, tuple[str | None, int]]:
    """Enterprise key → (standard address code, building id)."""
    results = geocode_texts(conn, [e["address"] for e in enterprises], districts=(district,))
    taken: list[int] = []
    by_key: dict[str, int] = {}
    placed = {}
    for e, result in zip(enterprises, results, strict=True):
        best = result.candidates[0] if result.candidates else None
        key = building_key(e["address"])
        if key not in by_key and best is not None:
            row = conn.execute(NEAREST_FREE, {"taken": taken, "lng": best.lng,
                                              "lat": best.lat}).fetchone()
            if row is not None:
                by_key[key] = int(row[0])
                taken.append(int(row[0]))
        if key in by_key:
            placed[e["key"]] = (best.code if best else None, by_key[key])
    return placed


def _floor_shares(enterprises: list[dict[str, Any]], placed: dict[str, tuple[str | None, int]]
                  ) -> dict[str, float]:
    """An enterprise at a room or floor holds a fifth of its building's share, else a whole
    one; sharers split the building."""
    count: dict[int, int] = {}
    for _, building in placed.values():
        count[building] = count.get(building, 0) + 1
    return {e["key"]: round((0.2 if ROOM.search(e["address"]) else 1.0)
                            / count[placed[e["key"]][1]], 4)
            for e in enterprises if e["key"] in placed}


def _structure(conn: Connection, plan: dict[str, Any], district: str) -> dict[str, int]:
    """Park, enterprises, buildings and meters; enterprise key → building id."""
    park = plan["park"]
    placed = _place(conn, plan["enterprises"], district)
    outline = conn.execute(PARK_OUTLINE, [[b for _, b in placed.values()]]).fetchone()
    model.create_park(conn, code=park["code"], name=park["name"],
                      geom_wkt=outline[0] if outline else None, synthetic=True)
    shares = _floor_shares(plan["enterprises"], placed)
    ids: dict[str, int] = {}
    for e in plan["enterprises"]:
        code, building = placed.get(e["key"], (None, None))
        ids[e["key"]] = model.create_enterprise(
            conn, name=e["name"], credit_code=e["credit_code"], park_code=park["code"],
            address_code=code, address_text=e["address"], staff_band=e["staff_band"],
            synthetic=True)
        if building is not None:
            model.link_building(conn, enterprise_id=ids[e["key"]], building_id=building,
                                floor_share=shares[e["key"]])
    for m in plan["meters"]:
        enterprise = m.get("enterprise")
        building = placed.get(enterprise, (None, None))[1] if enterprise else None
        model.create_meter(conn, spec=model.MeterSpec(
            id=m["id"], kind=m["kind"], unit=m["unit"], reading_type=m["reading_type"],
            name=m["name"], multiplier=m["multiplier"], register_max=m["register_max"],
            parent_id=m["parent_id"], counted_in_parent=m["counted_in_parent"],
            park_code=park["code"], enterprise_id=ids.get(enterprise or ""),
            building_id=building, synthetic=True))
    return {"enterprises": len(ids), "linked_enterprises": len(placed)}


def _csv(batch: list[tuple[str, sample_faults.Reported]], stamps: list[str]) -> Iterator[bytes]:
    for meter_id, rep in batch:
        out = io.StringIO()
        for i, v in zip(rep.at.tolist(), rep.value.tolist(), strict=True):
            out.write(f"{meter_id},{stamps[i]},{v:.4f}\n")
        yield out.getvalue().encode()


def _readings(conn: Connection, plan: dict[str, Any], sources_dirs: list[Path],
              through: int | None = None) -> tuple[int, dict[str, str]]:
    slots = plan["days"] * 96
    start = sample_series.local_start(plan)
    sources = sample_series.Sources.read(sources_dirs, slots)
    truth = sample_series.truth(plan, sources, slots)
    stamps = [(start + timedelta(seconds=900 * i)).isoformat() for i in range(slots + 1)]
    batch: list[tuple[str, sample_faults.Reported]] = []
    rows = 0
    for m in plan["meters"]:
        rep = sample_faults.report(m, truth[m["id"]], plan["events"], start)
        if through is not None:
            rep = rep.between(start, -1, through)
        for at, old_final, new_initial in rep.replacements:
            model.record_replacement(conn, meter_id=m["id"], replaced_at=at,
                                     old_final=old_final, new_initial=new_initial,
                                     note="sample park: seeded replacement (synthetic)")
        batch.append((m["id"], rep))
        rows += len(rep.at)
        if sum(len(r.at) for _, r in batch) >= BATCH_ROWS:
            ingest_csv(conn, data=_csv(batch, stamps), header=False, source="sample")
            batch = []
    if batch:
        ingest_csv(conn, data=_csv(batch, stamps), header=False, source="sample")
    return rows, sources.origin


def load_park(conn: Connection, *, plan: dict[str, Any], sources_dirs: list[Path],
              district: str, recompute: bool = True, readings_through: int | None = None
              ) -> dict[str, Any]:
    """Load a plan (after the sample district and its buildings); counts and data origins.
    ``readings_through``: only the readings up to that slot end (an index: 0 is the first
    slot's start), the rest left to the caller (a bench feeding the last days one by one)."""
    require_transaction(conn, "load_park")
    if conn.execute("SELECT 1 FROM park WHERE code = %s", [plan["park"]["code"]]).fetchone():
        return {"park": "already loaded"}
    counts: dict[str, Any] = _structure(conn, plan, district)
    counts["meters"] = len(plan["meters"])
    counts["readings"], counts["sources"] = _readings(conn, plan, sources_dirs, readings_through)
    if recompute:
        counts["intervals"] = recompute_all(conn).intervals
    return counts


def sources_dirs(sample_dir: Path) -> list[Path]:
    """Where the real series are looked for: the sample's own copies, then ../shared/data."""
    return [sample_dir, sample_dir.parent.parent.parent / "shared" / "data"]


def load_sample_park(conn: Connection, *, sample_dir: Path, district: str,
                     days: int | None = None, enterprises: int | None = None
                     ) -> dict[str, Any]:
    plan = read_plan(sample_dir)
    if plan is None:
        return {}
    return load_park(conn, plan=sliced(plan, days=days, enterprises=enterprises),
                     sources_dirs=sources_dirs(sample_dir), district=district)


def plan_start(plan: dict[str, Any]) -> datetime:
    return sample_series.local_start(plan)
