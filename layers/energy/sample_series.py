"""The sample park's true 15-minute consumption, derived at load time from real series.

Industrial loads come from the UCI steel plant's meter (``Usage_kWh``, 15-minute, 2018), feeders'
shapes from the ETT transformers (hourly, 2016-07 … 2018-06; the year from the Monday
2017-01-02 is laid on 2018 so weekdays line up). Both files are read unmodified; the ETT
licence (CC BY-ND 4.0) allows no modified copy, so nothing derived from them is ever written
to a file. When a file is missing a seeded synthetic profile (a working-day shape with noise)
stands in, and ``Sources.origin`` says so.

A plan's leaf meter is its source rolled by whole weeks (the UCI plant blended over eight),
scaled to the plan's mean per slot,
with seeded AR(1) multiplicative noise; an aggregate (a main meter, a feeder) is its own leaf
part plus the sum of its counted children (a feeder's losses on top). Behaviour anomalies
(spike, level shift, night base-load creep) change the truth itself, so they reach the parents.
"""

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

SLOT = 900
UCI_FILE = "energy/uci851_steel/Steel_industry_data.csv"
ETT_FILE = "energy/ett/ETTh1.csv"
ETT_FIRST = "2017-01-02 00:00:00"  # a Monday, as 2018-01-01 was
# The steel plant runs irregular shifts (days of 260 to 4,400 kWh): one enterprise's process is
# the mean of eight whole-week rolls of it, the weekly rhythm kept and the plant's shutdowns
# softened into a load a process has.
BLEND_WEEKS = (0, 7, 13, 20, 26, 33, 39, 46)
Floats = npt.NDArray[np.float64]


def _synthetic(slots: int, seed: int) -> Floats:
    """A seeded stand-in: day shift 08–20 h on working days, a night base, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(slots)
    hour = (t % 96) / 4
    workday = (t // 96) % 7 < 5
    shape = 0.25 + np.where(workday & (hour >= 8) & (hour < 20), 1.0, 0.0)
    return shape * (1 + 0.15 * rng.standard_normal(slots)).clip(0.2)


def _uci(path: Path) -> Floats:
    # row i ends slot i of 2018 (its last row, labelled 31/12/2018 00:00, is 2019-01-01 00:00)
    with path.open(encoding="utf-8-sig") as f:
        return np.array([float(r["Usage_kWh"]) for r in csv.DictReader(f)])


def _ett(path: Path, slots: int) -> dict[str, Floats]:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    first = next(i for i, r in enumerate(rows) if r["date"] == ETT_FIRST)
    hours = rows[first:first + slots // 4 + 1]
    out = {}
    for col in ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL"):
        power = np.array([abs(float(r[col])) for r in hours])
        out[col] = np.interp(np.arange(slots) / 4, np.arange(len(power)), power)
    return out


@dataclass
class Sources:
    """The shapes leaves are derived from, each as many slots as the plan's days."""

    series: dict[str, Floats]
    origin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, directories: list[Path], slots: int) -> "Sources":
        uci = _first(directories, UCI_FILE)
        ett = _first(directories, ETT_FILE)
        series: dict[str, Floats] = {}
        origin = {}
        if uci is not None:
            series["uci"], origin["uci"] = _uci(uci)[:slots], f"UCI dataset 851 ({uci})"
        else:
            series["uci"], origin["uci"] = _synthetic(slots, 851), "synthetic fallback (seed 851)"
        if ett is not None:
            series.update({f"ett:{k}": v for k, v in _ett(ett, slots).items()})
            origin["ett"] = f"ETDataset ETTh1 ({ett}), read unmodified"
        else:
            for i, col in enumerate(("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL")):
                series[f"ett:{col}"] = _synthetic(slots, 1000 + i)
            origin["ett"] = "synthetic fallback (seeds 1000–1005)"
        return cls({k: _fit(v, slots) for k, v in series.items()}, origin)


def _first(directories: list[Path], name: str) -> Path | None:
    return next((d / name for d in directories if (d / name).is_file()), None)


def _fit(x: Floats, slots: int) -> Floats:
    return np.resize(x, slots) if len(x) < slots else x[:slots]


def leaf(sources: Sources, spec: dict[str, Any]) -> Floats:
    base = sources.series[spec["source"]]
    weeks = [int(spec["roll_weeks"])]
    if spec["source"] == "uci":  # a process's load: the plant's, over eight weeks of the year
        weeks = [(weeks[0] + w) % 52 for w in BLEND_WEEKS]
    rolled = np.mean([np.roll(base, -7 * 96 * w) for w in weeks], axis=0)
    rng = np.random.default_rng(int(spec["seed"]))
    noise = np.zeros(len(base))
    if spec["noise"]:
        shocks = rng.standard_normal(len(base)) * float(spec["noise"])
        noise = _ar1(shocks, 0.8)
    mean = float(np.mean(base)) or 1.0
    return np.maximum(rolled * (float(spec["scale"]) / mean) * (1 + noise), 0.0)


def _ar1(shocks: Floats, phi: float) -> Floats:
    """x[t] = phi·x[t−1] + shock[t]·sqrt(1−phi²), by a linear filter (no Python loop)."""
    from scipy.signal import lfilter  # scipy comes with the geospatial stack

    return np.asarray(lfilter([np.sqrt(1 - phi * phi)], [1, -phi], shocks), float)


def slot_index(start: datetime, when: datetime) -> int:
    return int((when - start).total_seconds()) // SLOT


def apply_behaviour(values: Floats, event: dict[str, Any], start: datetime) -> None:
    """Change a leaf's truth in place by one spike, level shift or base-load creep."""
    a = slot_index(start, datetime.fromisoformat(event["start"]))
    b = slot_index(start, datetime.fromisoformat(event["end"]))
    if a >= len(values):
        return
    p = event["params"]
    level = float(np.quantile(values, 0.75)) or 1.0
    if event["kind"] == "spike":
        values[a:b] += p["factor"] * level
    elif event["kind"] == "level_shift":
        values[a:b] *= p["factor"]
    elif event["kind"] == "base_load_creep":
        night = _night_mask(len(values), start)
        base = float(np.median(values[night])) or 0.1 * level
        ramp = np.clip((np.arange(len(values)) - a) / (96 * p["ramp_days"]), 0, 1)
        values += np.where(night & (np.arange(len(values)) >= a), p["added"] * base * ramp, 0)


def _night_mask(slots: int, start: datetime) -> npt.NDArray[np.bool_]:
    local_slot = (np.arange(slots) + (start.hour * 4 + start.minute // 15)) % 96
    return local_slot < 5 * 4


def truth(plan: dict[str, Any], sources: Sources, slots: int) -> dict[str, Floats]:
    """Every meter's true 15-minute consumption (its base unit, multiplier applied)."""
    start = local_start(plan)
    behaviour = {e["meter_id"]: e for e in plan["events"]
                 if e["kind"] in ("spike", "level_shift", "base_load_creep")}
    out: dict[str, Floats] = {}
    children: dict[str, list[str]] = {}
    for m in plan["meters"]:
        if m["parent_id"] and m["counted_in_parent"]:
            children.setdefault(m["parent_id"], []).append(m["id"])
    for m in sorted(plan["meters"], key=lambda m: -_depth(plan, m)):  # leaves first
        values = leaf(sources, m["series"])[:slots]
        if m["id"] in behaviour:
            apply_behaviour(values, behaviour[m["id"]], start)
        below = sum((out[c] for c in children.get(m["id"], [])), np.zeros(slots))
        out[m["id"]] = values + below * (1 + float(m["series"].get("loss", 0.0)))
    return out


def _depth(plan: dict[str, Any], meter: dict[str, Any]) -> int:
    by_id = {m["id"]: m for m in plan["meters"]}
    depth = 0
    while meter["parent_id"]:
        meter, depth = by_id[meter["parent_id"]], depth + 1
    return depth


def local_start(plan: dict[str, Any]) -> datetime:
    """The plan's first slot start, an aware datetime at +08:00 (local midnight)."""
    return datetime.fromisoformat(plan["start"])
