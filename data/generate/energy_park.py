"""Seeded generator of the SYNTHETIC sample park's plan: enterprises, meters, faults, anomalies.

No public data of a Chinese industrial park's meters exists. The plan places one enterprise at
each of the real company addresses of ``companies/qingpu_company_addresses_cpca.csv`` that
geocode inside the district (several at one address share its building by floor shares), gives
each a 统一社会信用代码 made by a seeded generator with valid GB 11714 and GB 32100 check
characters, a sub-metering tree (a main meter per enterprise under one of four park feeders,
sub-meters counted in it, water and gas apart), and the seeded, labelled anomalies and data
faults a bench scores cleaning and detection by. It holds no consumption: the loader
(``layers/energy/sample_park.py``) derives every meter's series at load time from the real
series (UCI steel plant, ETT transformers), read unmodified.

    python -m data.generate.energy_park data/sample   # rewrites energy/park_plan_synthetic.json
    python -m data.generate.energy_park data/sample 7   # another seed (the bench reports on one)
"""

import csv
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
from stdnum.cn import uscc

SEED = 20180
YEAR_START = datetime(2018, 1, 1, tzinfo=timezone(timedelta(hours=8)))  # Asia/Shanghai
DAYS = 365
PLAN_FILE = "energy/park_plan_synthetic.json"
COMPANIES_FILE = "companies/qingpu_company_addresses_cpca.csv"
NOTE = "synthetic: seeded generator data/generate/energy_park.py"
# addresses that name no place in the district (the district alone, or another district's too)
NOT_PLACEABLE = ("上海青浦区", "青浦区练塘镇小蒸贞溪南路182号/徐汇区", "青浦区白石公路2288号")
# staff band → typical 15-minute kWh of the whole enterprise
BAND_KWH = {"1-49人": 6.0, "50-99人": 15.0, "100-499人": 45.0, "500-999人": 110.0,
            "1000-2000人": 220.0, "2000-5000人": 400.0}
TRADES = ("精密机械", "电子科技", "新材料", "食品", "物流", "医药", "汽车零部件", "包装",
          "印刷", "金属制品", "塑料制品", "光电")
PREFIXES = ("华", "新", "盈", "崧", "青", "泽", "联", "汇", "腾", "盛", "誉", "拓")
FEEDERS = ("HUFL", "MUFL", "LUFL", "HULL")
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SLOTS_PER_DAY = 96
# data faults (cleaning) on cumulative meters; anomalies the detector should report
CUMULATIVE_FAULTS = ("reset", "replacement", "gap", "glitch")
INTERVAL_FAULTS = ("missing", "negative", "stuck")
BEHAVIOUR = ("spike", "level_shift", "base_load_creep")


def credit_code(rng: np.random.Generator) -> str:
    """91 (工商, enterprise) + 310118 + a GB 11714 organisation code + the GB 32100 check."""
    body = "".join(rng.choice(list("0123456789"), 8))
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    org = body + {10: "X", 11: "0"}.get(check, str(check))
    first = "91310118" + org
    return str(uscc.validate(first + uscc.calc_check_digit(first)))


def _companies(sample_dir: Path) -> list[dict[str, str]]:
    with (sample_dir / COMPANIES_FILE).open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return [{"address": r["原始地址"], "staff_band": r["规模"]} for r in rows
            if not r["原始地址"].startswith(NOT_PLACEABLE)]


def _series(rng: np.random.Generator, source: str, scale: float) -> dict[str, Any]:
    """How the loader derives a leaf's series: a real source rolled by whole weeks (the weekly
    rhythm kept), scaled, with seeded multiplicative noise."""
    return {"source": source, "roll_weeks": int(rng.integers(0, 52)),
            "scale": round(scale, 4), "noise": round(float(rng.uniform(0.03, 0.08)), 3),
            "seed": int(rng.integers(1 << 31))}


def _meter(mid: str, name: str, kind: str, unit: str, reading_type: str, **extra: Any
           ) -> dict[str, Any]:
    return {"id": mid, "name": name, "kind": kind, "unit": unit,
            "reading_type": reading_type, "multiplier": 1.0, "register_max": None,
            "parent_id": None, "counted_in_parent": True, **extra}


def _enterprise_meters(rng: np.random.Generator, key: str, kwh: float, feeder: str
                       ) -> list[dict[str, Any]]:
    n_sub = int(np.clip(round(np.log2(kwh / 4)) + 1, 2, 7))
    shares = rng.dirichlet(np.full(n_sub, 3.0)) * rng.uniform(0.8, 0.92)
    ct = float(rng.choice([1, 20, 40, 80])) if kwh > 20 else 1.0
    main = _meter(f"{key}-M", "总进线电表", "electricity", "kWh", "cumulative",
                  multiplier=ct, parent_id=feeder, register_max=99999.99 if ct > 1 else 999999.9,
                  series={"children": True, **_series(rng, "uci", kwh * (1 - shares.sum()))})
    out = [main]
    for i, share in enumerate(shares, start=1):
        rt = "interval" if i % 2 else "cumulative"
        out.append(_meter(f"{key}-S{i}", f"分项电表{i}", "electricity", "kWh", rt,
                          parent_id=main["id"], register_max=999999.9 if rt == "cumulative"
                          else None, series=_series(rng, "uci", kwh * share)))
    out.append(_meter(f"{key}-W", "自来水表", "water", "m3", "cumulative",
                      register_max=99999.0, series=_series(rng, "uci", kwh * 0.01)))
    if rng.random() < 0.5:
        out.append(_meter(f"{key}-G", "天然气表", "gas", "m3", "interval",
                          series=_series(rng, "uci", kwh * 0.05)))
    return out


def _feeders() -> list[dict[str, Any]]:
    return [_meter(f"F{i}", f"园区{i}号馈线（{col}）", "electricity", "kWh", "interval",
                   series={"children": True, "source": f"ett:{col}", "roll_weeks": 0,
                           "scale": 60.0, "noise": 0.0, "seed": i, "loss": 0.02})
            for i, col in enumerate(FEEDERS, start=1)]


def _when(rng: np.random.Generator, day_lo: int = 70, day_hi: int = DAYS - 5,
          hour_lo: int = 0, hour_hi: int = 23) -> datetime:
    day = int(rng.integers(day_lo, day_hi))
    slot = int(rng.integers(hour_lo * 4, hour_hi * 4))
    return YEAR_START + timedelta(days=day, minutes=15 * slot)


def _event(meter_id: str, kind: str, start: datetime, slots: int, **params: Any
           ) -> dict[str, Any]:
    end = start + timedelta(minutes=15 * slots)
    return {"meter_id": meter_id, "kind": kind, "start": start.isoformat(),
            "end": end.isoformat(), "params": params}


def _fault(rng: np.random.Generator, meter: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind in ("gap", "missing"):  # a cumulative gap stays inside one day
        start = _when(rng, hour_lo=1, hour_hi=12)
        return _event(meter["id"], kind, start, int(rng.integers(4, 40)))
    if kind == "stuck":
        return _event(meter["id"], kind, _when(rng, hour_lo=6, hour_hi=10),
                      int(rng.integers(24, 48)))
    if kind == "negative":
        return _event(meter["id"], kind, _when(rng), int(rng.integers(1, 4)))
    if kind == "replacement":
        return _event(meter["id"], kind, _when(rng), 0,
                      new_initial=round(float(rng.uniform(0, 50)), 2))
    return _event(meter["id"], kind, _when(rng), 0)  # reset, glitch


def _behaviour(rng: np.random.Generator, meter: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "spike":
        return _event(meter["id"], kind, _when(rng, hour_lo=1, hour_hi=22),
                      int(rng.integers(1, 3)), factor=round(float(rng.uniform(8, 12)), 2))
    if kind == "level_shift":
        return _event(meter["id"], kind, _when(rng, hour_lo=0, hour_hi=2),
                      int(rng.integers(2, 6)) * SLOTS_PER_DAY,
                      factor=round(float(rng.choice([3.0, 4.0, 0.2])), 2))
    start = _when(rng, day_lo=120, day_hi=250, hour_lo=0, hour_hi=1)  # creep to the year's end
    slots = int((YEAR_START + timedelta(days=DAYS) - start).total_seconds() // 900)
    return _event(meter["id"], kind, start, slots, added=round(float(rng.uniform(0.6, 1.0)), 2),
                  ramp_days=21)


def _plan_events(rng: np.random.Generator, meters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One fault or anomaly per chosen meter (so their truths never overlap): a third of the
    enterprises' meters carry one."""
    events = []
    leaves = [m for m in meters if "children" not in m["series"] and m["kind"] == "electricity"]
    for i, meter in enumerate(rng.permutation(np.array(leaves, object)).tolist()):
        if i % 3 == 2:
            continue
        if i % 3 == 1:
            events.append(_behaviour(rng, meter, BEHAVIOUR[(i // 3) % len(BEHAVIOUR)]))
            continue
        faults = CUMULATIVE_FAULTS if meter["reading_type"] == "cumulative" else INTERVAL_FAULTS
        events.append(_fault(rng, meter, faults[(i // 3) % len(faults)]))
    for meter in meters:
        if meter["id"].endswith("-M") and meter["register_max"] == 99999.99:
            events.append(_event(meter["id"], "rollover", _when(rng, 60, 300), 0))
    return events


def plan(sample_dir: Path, seed: int = SEED) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    enterprises, meters = [], _feeders()
    for i, company in enumerate(_companies(sample_dir), start=1):
        key = f"E{i:02d}"
        kwh = BAND_KWH.get(company["staff_band"], 30.0) * float(rng.uniform(0.6, 1.4))
        name = (f"{''.join(rng.choice(list(PREFIXES), 2))}"
                f"{TRADES[int(rng.integers(len(TRADES)))]}有限公司（合成）")
        enterprises.append({"key": key, "name": name, "credit_code": credit_code(rng),
                            **company})
        meters += [{**m, "enterprise": key}
                   for m in _enterprise_meters(rng, key, kwh, f"F{1 + i % len(FEEDERS)}")]
    return {"synthetic": True, "note": NOTE, "seed": seed, "start": YEAR_START.isoformat(),
            "days": DAYS,
            "park": {"code": "QPIP-SAMPLE", "name": "青浦工业园区 示例园区（合成）"},
            "enterprises": enterprises, "meters": meters,
            "events": _plan_events(rng, meters)}


def main(argv: list[str]) -> None:
    sample_dir = Path(argv[0] if argv else "data/sample")
    seed = int(argv[1]) if len(argv) > 1 else SEED
    out = sample_dir / PLAN_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    data = plan(sample_dir, seed)
    out.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{out}: {len(data['enterprises'])} enterprises, {len(data['meters'])} meters,"
          f" {len(data['events'])} events (seed {seed})")


if __name__ == "__main__":
    main(sys.argv[1:])
