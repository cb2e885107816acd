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


def baseline(ts: npt.NDArray[np.int64], values: Floats) -> tuple[Floats, Floats]:
    """Median and scaled MAD per slot key (NaN where the history has none)."""
    keys = slot_key(ts)
    median, spread = np.full(192, np.nan), np.full(192, np.nan)
    for k in np.unique(keys):
        v = values[keys == k]
        median[k] = np.median(v)
        spread[k] = MAD_SCALE * np.median(np.abs(v - median[k]))
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
           history: tuple[npt.NDArray[np.int64], Floats]) -> list[Event]:
    """The events in the series (``ts`` sorted slot starts) against the history's baseline."""
    flagged = np.array([f or "" for f in flags])
    events = _events("impossible", ts, _runs(np.isin(flagged, ["negative", "jump"])), "critical")
    events += _events("missing", ts, _runs(flagged == "gap"))
    if len(history[0]) < 7 * 96 or not len(ts):
        return events  # a week of history before judging levels
    base = baseline(*history)
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
    events += _creep(ts, values, history)
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


def _creep(ts: npt.NDArray[np.int64], values: Floats,
           history: tuple[npt.NDArray[np.int64], Floats]) -> list[Event]:
    now, before = values[_night(ts)], history[1][_night(history[0])]
    if len(now) < 7 * 20 or not len(before):  # a week of nights
        return []
    level, usual = float(np.median(now)), float(np.median(before))
    if usual > 0 and level > CREEP_RATIO * usual:
        return [Event("base_load_creep", int(ts[0]), int(ts[-1]) + SLOT, "info",
                      {"night_median": level, "usual_night_median": usual})]
    return []
