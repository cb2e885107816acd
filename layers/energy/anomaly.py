"""Anomalies in a meter's clean 15-minute series (pure: arrays in, events out).

The baseline is robust and per meter: for weekday and weekend apart, each of the 96 quarter
hours' median and MAD (scaled by 1.4826 to a standard deviation) over the history before the
period looked at. Against it:
- ``spike``: one to three slots far above the baseline (z > 6);
- ``level_shift``: at least four hours in a row off the baseline the same way (|z| > 3);
- ``base_load_creep``: the night (00:00–05:00) median of the period well above the history's;
- ``flat_line``: four hours or more of one repeated value where the baseline expects use;
- ``impossible``: slots cleaning found negative or a jump; ``missing``: slots it found missing.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.energy.clean import SLOT

LOCAL = 8 * 3600
MAD_SCALE = 1.4826
SPIKE_Z, SHIFT_Z = 6.0, 3.0
SPIKE_MAX, SHIFT_MIN, FLAT_MIN = 3, 16, 16  # slots
CREEP_RATIO = 1.3
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Event:
    kind: str
    start: int  # epoch seconds of the first slot
    end: int  # epoch seconds after the last slot
    severity: str = "warning"
    detail: dict[str, Any] = field(default_factory=dict)


def slot_key(ts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """weekend × 96 + quarter hour of the local day."""
    local = ts + LOCAL
    weekend = ((local // 86400 + 3) % 7) >= 5  # 1970-01-01 was a Thursday
    return weekend.astype(np.int64) * 96 + (local % 86400) // SLOT


@dataclass(frozen=True)
class Baseline:
    """What detection needs of a meter's history: per slot key the median and scaled MAD (NaN
    where the history has none), how many slots the history had, its night median."""

    median: Floats
    spread: Floats
    slots: int
    night_median: float | None

    @classmethod
    def of(cls, ts: npt.NDArray[np.int64], values: Floats) -> "Baseline":
        ts = np.asarray(ts, np.int64)
        values = np.asarray(values, float)
        median, spread = baseline(ts, values)
        night = values[_night(ts)]
        return cls(median, spread, len(ts), float(np.median(night)) if len(night) else None)


def _group_median(keys: npt.NDArray[np.int64], values: Floats) -> Floats:
    """The median of ``values`` per key 0…191 (NaN for a key with none), no loop over keys."""
    order = np.lexsort((values, keys))
    v = values[order]
    counts = np.bincount(keys, minlength=192)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    lo = np.where(has, first + (counts - 1) // 2, 0)
    hi = np.where(has, first + counts // 2, 0)
    out = np.full(192, np.nan)
    if len(v):
        out[has] = (v[lo[has]] + v[hi[has]]) / 2
    return out


def baseline(ts: npt.NDArray[np.int64], values: Floats) -> tuple[Floats, Floats]:
    """Median and scaled MAD per slot key (NaN where the history has none)."""
    keys = slot_key(ts)
    median = _group_median(keys, values)
    spread = MAD_SCALE * _group_median(keys, np.abs(values - median[keys]))
    return median, spread


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, stop) index ranges where ``mask`` holds."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def _z(ts: npt.NDArray[np.int64], values: Floats, base: tuple[Floats, Floats]) -> Floats:
    median, spread = base
    keys = slot_key(ts)
    floor = max(float(np.nanmedian(spread)) if np.isfinite(spread).any() else 0.0, 1e-9)
    # a slot's spread is at least a tenth of its level and the meter's typical spread
    scale = np.maximum(np.maximum(spread[keys], 0.1 * np.abs(median[keys])), floor)
    return (values - median[keys]) / scale


def _events(kind: str, ts: npt.NDArray[np.int64], runs: list[tuple[int, int]],
            severity: str = "warning", **detail: Any) -> list[Event]:
    return [Event(kind, int(ts[a]), int(ts[b - 1]) + SLOT, severity, {"slots": b - a, **detail})
            for a, b in runs]


def detect(ts: npt.NDArray[np.int64], values: Floats, flags: list[str | None],
           history: tuple[npt.NDArray[np.int64], Floats] | Baseline) -> list[Event]:
    """The events in the series (``ts`` sorted slot starts) against the history's baseline."""
    known = Baseline.of(*history) if isinstance(history, tuple) else history
    flagged = np.array([f or "" for f in flags])
    events = _events("impossible", ts, _runs(np.isin(flagged, ["negative", "jump"])), "critical")
    events += _events("missing", ts, _runs(flagged == "gap"))
    if known.slots < 7 * 96 or not len(ts):
        return events  # a week of history before judging levels
    base = (known.median, known.spread)
    flat = _flat(ts, values, base)
    z = _z(ts, values, base)
    for e in flat:  # a stuck meter is not also a shift
        z[(ts >= e.start) & (ts < e.end)] = 0.0
    shifted = np.zeros(len(ts), bool)
    for sign, name in ((1, "up"), (-1, "down")):
        runs = [r for r in _runs(sign * z > SHIFT_Z) if r[1] - r[0] >= SHIFT_MIN]
        events += _events("level_shift", ts, runs, direction=name)
        for a, b in runs:
            shifted[a:b] = True
    spikes = [r for r in _runs((z > SPIKE_Z) & ~shifted) if r[1] - r[0] <= SPIKE_MAX]
    events += _events("spike", ts, spikes)
    events += flat
    events += _creep(ts, values, known.night_median)
    return events


def _flat(ts: npt.NDArray[np.int64], values: Floats, base: tuple[Floats, Floats]
          ) -> list[Event]:
    same = np.concatenate([[False], np.isclose(np.diff(values), 0.0, atol=1e-9)])
    same[:-1] |= same[1:]
    expects = base[0][slot_key(ts)] > 0
    runs = [r for r in _runs(same) if r[1] - r[0] >= FLAT_MIN and expects[r[0]:r[1]].mean() > 0.5]
    return [Event("flat_line", int(ts[a]), int(ts[b - 1]) + SLOT, "warning",
                  {"slots": b - a, "value": float(values[a])}) for a, b in runs]


def _night(ts: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    return ((ts + LOCAL) % 86400) < 5 * 3600


def _creep(ts: npt.NDArray[np.int64], values: Floats, usual: float | None) -> list[Event]:
    now = values[_night(ts)]
    if len(now) < 7 * 20 or usual is None:  # a week of nights
        return []
    level = float(np.median(now))
    if usual > 0 and level > CREEP_RATIO * usual:
        return [Event("base_load_creep", int(ts[0]), int(ts[-1]) + SLOT, "info",
                      {"night_median": level, "usual_night_median": usual})]
    return []
