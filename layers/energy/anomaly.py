"""Anomalies in a meter's clean 15-minute series (pure: arrays in, events out).

The baseline is robust and per meter: for each day of the week apart, each of the 96 quarter
hours' median and MAD (scaled by 1.4826 to a standard deviation) over the history before the
period looked at. Against it:
- ``spike``: one to three slots far above the baseline (z > 6) and 1.5 times above the
  history's ceiling (its highest slot median + 3 typical spreads): a load the meter never draws,
  not a busy slot of a meter whose use jumps between levels (a plant's shifts);
- ``level_shift``: a day or more whose day-long (96-slot, centred) mean is off the baseline's
  the same way, both by |z| > 3 (on the mean spread) and by a factor (above ×1.5, below ×0.5):
  a plant's irregular shifts move single days, a shift lasts;
- ``base_load_creep``: over the last 14 nights ending in the period (those before it given by
  the caller, from the day roll-ups, so a day's recompute judges it too), the night's
  (00:00–05:00) level against the hours either side of it (05–07 h, 22–24 h) risen ×1.35 over
  the history's: a load added to the night alone; a busier or quieter plant moves the night and
  its shoulders together (a ratio of the night alone to its history is not enough: plants'
  nights swing by half for weeks);
- ``flat_line``: four hours or more of one repeated non-zero measured value where the baseline
  expects use (zero is no use, a shift's concern; spread or estimated slots repeat by design);
- ``impossible``: slots cleaning found negative or a jump; ``missing``: slots it found missing.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.energy.clean import SLOT

LOCAL = 8 * 3600
KEYS = 7 * 96  # baseline keys: day of the week × quarter hour
MAD_SCALE = 1.4826
SPIKE_Z, SHIFT_Z = 6.0, 3.0
SPIKE_MAX, WINDOW, SHIFT_MIN, FLAT_MIN = 3, 96, 96, 16  # slots
SPIKE_CEILING = 1.5  # × the history's ceiling
SHIFT_UP, SHIFT_DOWN = 1.5, 0.5  # the day-long mean's factor to the baseline's
CREEP_NIGHTS, CREEP_OVER_SHOULDERS = 14, 1.35  # nights judged; their rise over the shoulders
NIGHT_SLOTS = np.arange(0, 20)  # 00:00–05:00
SHOULDER_SLOTS = np.r_[20:28, 88:96]  # 05:00–07:00 and 22:00–24:00, the hours either side
IS_NIGHT, IS_SHOULDER = (np.isin(np.arange(96), slots) for slots in (NIGHT_SLOTS, SHOULDER_SLOTS))
Floats = npt.NDArray[np.float64]
# a span's flags: cleaning's names, None (or "") for none
Flags = Sequence[str | None] | npt.NDArray[np.str_]
# whole nights: their local day starts (epoch seconds, in order) and night over shoulders
Nights = tuple[npt.NDArray[np.int64], Floats]


@dataclass(frozen=True)
class Event:
    kind: str
    start: int  # epoch seconds of the first slot
    end: int  # epoch seconds after the last slot
    severity: str = "warning"
    detail: dict[str, Any] = field(default_factory=dict)


def slot_key(ts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Day of the week (Monday 0) × 96 + quarter hour of the local day. Days apart, not only
    weekday and weekend: a plant's rest day or a Monday's start after the weekend is its own."""
    local = ts + LOCAL
    weekday = (local // 86400 + 3) % 7  # 1970-01-01 was a Thursday
    return weekday * 96 + (local % 86400) // SLOT


@dataclass(frozen=True)
class Baseline:
    """What detection needs of a meter's history: per slot key the median and scaled MAD (NaN
    where the history has none), how many slots the history had, its night median; and what
    every scan against it derives from those, worked out once."""

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

    @cached_property
    def spread_floor(self) -> float:
        """The meter's typical spread (at least 1e-9): a slot's spread is never below it."""
        finite = np.isfinite(self.spread).any()
        return max(float(np.nanmedian(self.spread)) if finite else 0.0, 1e-9)

    @cached_property
    def ceiling(self) -> float:
        """The highest slot median + 3 typical spreads."""
        return float(np.nanmax(self.median) + SHIFT_Z * np.nanmedian(self.spread))

    @cached_property
    def night_over_shoulders(self) -> float | None:
        return _night_over_shoulders(self.median)


def _group_median(keys: npt.NDArray[np.int64], values: Floats) -> Floats:
    """The median of ``values`` per key 0…KEYS − 1 (NaN for a key with none), no loop over keys."""
    order = np.lexsort((values, keys))
    v = values[order]
    counts = np.bincount(keys, minlength=KEYS)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    lo = np.where(has, first + (counts - 1) // 2, 0)
    hi = np.where(has, first + counts // 2, 0)
    out = np.full(KEYS, np.nan)
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
    if not mask.any():  # most masks of a scan: nothing to find
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


@dataclass(frozen=True)
class _Slots:
    """A span's slots against a baseline: each slot's expected level and spread."""

    ts: npt.NDArray[np.int64]
    values: Floats
    expected: Floats  # the baseline's median of the slot's key (NaN: none)
    scale: Floats  # its spread, at least a tenth of its level and the meter's typical spread

    @classmethod
    def of(cls, ts: npt.NDArray[np.int64], values: Floats, known: Baseline) -> "_Slots":
        keys = slot_key(ts)
        expected = known.median[keys]
        scale = np.maximum(np.maximum(known.spread[keys], 0.1 * np.abs(expected)),
                           known.spread_floor)
        return cls(ts, values, expected, np.asarray(scale))


def _events(kind: str, ts: npt.NDArray[np.int64], runs: list[tuple[int, int]],
            severity: str = "warning", **detail: Any) -> list[Event]:
    return [Event(kind, int(ts[a]), int(ts[b - 1]) + SLOT, severity, {"slots": b - a, **detail})
            for a, b in runs]


def detect(ts: npt.NDArray[np.int64], values: Floats, flags: Flags,
           history: tuple[npt.NDArray[np.int64], Floats] | Baseline, *,
           nights_before: Nights | None = None) -> list[Event]:
    """The events in the series (``ts`` sorted slot starts) against the history's baseline;
    ``nights_before``: the meter's whole nights before the series, for creep."""
    known = Baseline.of(*history) if isinstance(history, tuple) else history
    flagged = flags if isinstance(flags, np.ndarray) else np.array([f or "" for f in flags], str)
    events = _events("impossible", ts, _runs((flagged == "negative") | (flagged == "jump")),
                     "critical")
    events += _events("missing", ts, _runs(flagged == "gap"))
    if known.slots < 7 * 96 or not len(ts):
        return events  # a week of history before judging levels
    slots = _Slots.of(ts, values, known)
    flat = _flat(slots, flagged)
    z = (values - slots.expected) / slots.scale
    stuck = np.zeros(len(ts), bool)
    for e in flat:  # a stuck meter is not also a shift
        stuck |= (ts >= e.start) & (ts < e.end)
    shifted = np.zeros(len(ts), bool)
    for name, runs in _shifts(slots, stuck).items():
        events += _events("level_shift", ts, runs, direction=name)
        for a, b in runs:
            shifted[a:b] = True
    high = (z > SPIKE_Z) & (values > SPIKE_CEILING * known.ceiling) & ~shifted & ~stuck
    events += _events("spike", ts, [r for r in _runs(high) if r[1] - r[0] <= SPIKE_MAX])
    events += flat
    events += _creep(ts, values, known, nights_before)
    return events


def _rolling(x: Floats, counts: Floats) -> Floats:
    """The mean over the ``WINDOW`` slots centred on each (shorter at the ends: ``counts``)."""
    return np.convolve(x, np.ones(WINDOW), "same") / counts


def _shifts(slots: _Slots, stuck: npt.NDArray[np.bool_]) -> dict[str, list[tuple[int, int]]]:
    """Runs of at least ``SHIFT_MIN`` slots whose day-long mean is off the baseline's."""
    counts = np.convolve(np.ones(len(slots.ts)), np.ones(WINDOW), "same")
    expected = _rolling(np.nan_to_num(slots.expected), counts)
    scale = _rolling(np.nan_to_num(slots.scale), counts)
    mean = _rolling(slots.values, counts)
    z = np.where(stuck, 0.0, (mean - expected) / np.maximum(scale, 1e-9))
    up = (z > SHIFT_Z) & (mean > SHIFT_UP * expected)
    down = (z < -SHIFT_Z) & (mean < SHIFT_DOWN * expected)
    return {name: [r for r in _runs(mask) if r[1] - r[0] >= SHIFT_MIN]
            for name, mask in (("up", up), ("down", down))}


def _flat(slots: _Slots, flagged: npt.NDArray[np.str_]) -> list[Event]:
    ts, values = slots.ts, slots.values
    same = np.concatenate([[False], np.abs(np.diff(values)) <= 1e-9])  # np.isclose(…, 0.0)
    same[:-1] |= same[1:]
    same &= (values != 0) & ((flagged == "") | (flagged == "replaced") | (flagged == "rollover"))
    expects = slots.expected > 0
    runs = [r for r in _runs(same) if r[1] - r[0] >= FLAT_MIN and expects[r[0]:r[1]].mean() > 0.5]
    return [Event("flat_line", int(ts[a]), int(ts[b - 1]) + SLOT, "warning",
                  {"slots": b - a, "value": float(values[a])}) for a, b in runs]


def _night(ts: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    return ((ts + LOCAL) % 86400) < 5 * 3600


def _night_over_shoulders(median: Floats) -> float | None:
    """The history's night level over its shoulders', from the baseline's slot medians."""
    by_day = median.reshape(7, 96)
    night = float(np.nanmean(by_day[:, NIGHT_SLOTS]))
    shoulders = float(np.nanmean(by_day[:, SHOULDER_SLOTS]))
    return night / shoulders if shoulders > 0 and np.isfinite(night) else None


def _day_means(day: npt.NDArray[np.int64], part: npt.NDArray[np.bool_], values: Floats,
               slots: int) -> Floats:
    """Per local day (0…) the mean of its ``part`` slots, NaN for a day missing one of them."""
    days = int(day[-1]) + 1
    sums = np.bincount(day[part], values[part], minlength=days)
    counts = np.bincount(day[part], minlength=days)
    return np.where(counts == slots, sums / np.maximum(counts, 1), np.nan)


def _nightly(ts: npt.NDArray[np.int64], values: Floats) -> Nights:
    """Each whole local day's night level over its shoulders' (their day starts, in order)."""
    local = ts + LOCAL
    day = local // 86400 - local[0] // 86400
    of_day = (local % 86400) // SLOT
    night = _day_means(day, IS_NIGHT[of_day], values, len(NIGHT_SLOTS))
    shoulders = _day_means(day, IS_SHOULDER[of_day], values, len(SHOULDER_SLOTS))
    whole = np.isfinite(night) & (shoulders > 0)  # NaN compares False
    starts = ts[0] - local[0] % 86400 + 86400 * np.arange(len(night), dtype=np.int64)
    return starts[whole], night[whole] / shoulders[whole]


def night_over_shoulders(night: Floats, shoulders: Floats) -> Floats:
    """A night's level over its shoulders' from their totals (of whole nights)."""
    return (night / len(NIGHT_SLOTS)) / (shoulders / len(SHOULDER_SLOTS))


def _creep(ts: npt.NDArray[np.int64], values: Floats, known: Baseline,
           before: Nights | None) -> list[Event]:
    """The last ``CREEP_NIGHTS`` nights ending in the span — at least one of them in it, the
    rest ``before`` it — their level over their shoulders' against the history's: a load added
    to the night alone, which a busier plant (night and shoulders up together) is not."""
    usual = known.night_over_shoulders
    starts, ratios = _nightly(ts, values)
    if usual is None or usual <= 0 or not len(ratios):
        return []
    if before is not None:
        earlier = before[0] < starts[0]
        starts = np.concatenate([before[0][earlier], starts])
        ratios = np.concatenate([before[1][earlier], ratios])
    if len(ratios) < 7:  # a week of nights
        return []
    starts, ratios = starts[-CREEP_NIGHTS:], ratios[-CREEP_NIGHTS:]
    level = float(np.median(ratios))
    if level <= CREEP_OVER_SHOULDERS * usual:
        return []
    judged = values[_night(ts) & (ts >= starts[0])]  # the span's own
    return [Event("base_load_creep", int(starts[0]), int(ts[-1]) + SLOT, "info",
                  {"nights": len(ratios), "night_over_shoulders": round(level, 3),
                   "usual_night_over_shoulders": round(usual, 3),
                   "night_median": float(np.median(judged)),
                   "usual_night_median": known.night_median})]
