"""Raw readings → clean 15-minute consumption (pure: numpy arrays in, arrays out).

Times are epoch seconds. A slot is [s, s + 900); Asia/Shanghai is UTC+8, a whole number of
slots, so UTC-aligned slots are local quarter hours.

Cumulative registers: a reading is the register at ``ts``. Meter replacements join the old and
the new register (readings at or after ``replaced_at`` are on the new one); a single reading out
of line with both neighbours is dropped (a spike); a fall is a roll-over when the register has a
maximum and the wrapped step is plausible, otherwise a reset (counted from zero, estimated);
a step implying more than a plausible rate is a jump (replaced by the typical rate, suspect).
The consumption between two kept readings is spread over the slots they span by linear
interpolation of the running total, so every slot's sum over a gap equals the registers' step
exactly; slots spanned by a step longer than a slot are estimated.

Interval meters: a reading is the consumption over (ts − period, ts]. Missing slots are not
invented: they come out as 0, suspect, flag ``gap``. Negative values become 0 (suspect); values
far above the meter's usual level are kept and flagged ``spike`` (suspect).

The multiplier (CT × PT) is applied last.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SLOT = 900
TOLERANCE = 60  # a step up to a slot plus this is still one measured step
JUMP_FACTOR = 20.0  # a rate above this × the 90th percentile of positive rates is a jump
SPIKE_FACTOR = 10.0  # an interval value above this × the 90th percentile is a spike

# flag → (rank, quality): a slot takes the flag of highest rank among the steps it overlaps
FLAGS = {None: (0, "measured"), "replaced": (1, "measured"), "rollover": (2, "measured"),
         "gap": (3, "estimated"), "spike": (4, "estimated"), "reset": (5, "estimated"),
         "jump": (6, "suspect"), "negative": (7, "suspect")}
FLAG_NAMES: tuple[str | None, ...] = tuple(FLAGS)  # a flag's code is its rank
QUALITY_NAMES = ("measured", "estimated", "suspect")
MEASURED, ESTIMATED, SUSPECT = range(3)
QUALITY_OF_RANK = np.array([QUALITY_NAMES.index(q) for _, q in FLAGS.values()], np.int8)
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int8]


@dataclass(frozen=True)
class Replacement:
    at: int  # epoch seconds
    old_final: float
    new_initial: float = 0.0


@dataclass
class Slots:
    """Slot starts (epoch seconds), values, and each slot's flag and quality as codes (indexes
    into ``FLAG_NAMES`` and ``QUALITY_NAMES``)."""

    start: Ints
    value: Floats
    flag_code: Codes
    quality_code: Codes

    def __len__(self) -> int:
        return len(self.start)

    @property
    def quality(self) -> list[str]:
        return [QUALITY_NAMES[q] for q in self.quality_code.tolist()]

    @property
    def flag(self) -> list[str | None]:
        return [FLAG_NAMES[f] for f in self.flag_code.tolist()]

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> "Slots":
        return Slots(self.start[index], self.value[index], self.flag_code[index],
                     self.quality_code[index])


def empty() -> Slots:
    return Slots(np.empty(0, np.int64), np.empty(0), np.empty(0, np.int8), np.empty(0, np.int8))


def _slots_between(first: float, last: float) -> Ints:
    lo, hi = -(-int(first) // SLOT), int(last) // SLOT
    return np.arange(lo, hi, dtype=np.int64) * SLOT


def _label(starts: Ints, t0: Floats, t1: Floats, ranks: Codes) -> tuple[Codes, Codes]:
    """Each slot's flag and quality codes from the flagged steps [t0, t1) overlapping it."""
    slot_rank = np.zeros(len(starts), np.int8)
    flagged = np.flatnonzero(ranks)
    los = np.searchsorted(starts, t0[flagged] - SLOT, side="right")
    his = np.searchsorted(starts, t1[flagged], side="left")
    for i, lo, hi in zip(flagged.tolist(), los.tolist(), his.tolist(), strict=True):
        np.maximum(slot_rank[lo:hi], ranks[i], out=slot_rank[lo:hi])
    return slot_rank, QUALITY_OF_RANK[slot_rank]


def _rank(flag: str) -> int:
    return FLAGS[flag][0]


def _join_replacements(ts: Floats, v: Floats, replacements: list[Replacement]) -> Floats:
    joined = v.copy()
    for r in replacements:
        joined[ts >= r.at] += r.old_final - r.new_initial
    return joined


def _drop_spikes(v: Floats) -> npt.NDArray[np.bool_]:
    """Readings above the next while the previous is not (or below the previous while the next
    is not): one bad reading, not a roll-over or reset."""
    keep = np.ones(len(v), bool)
    if len(v) >= 3:
        prev, mid, nxt = v[:-2], v[1:-1], v[2:]
        high = (mid > nxt) & (prev <= nxt)
        low = (mid < prev) & (nxt >= prev)
        keep[1:-1] = ~(high | low)
    return keep


def high_level(x: Floats) -> float:
    """The 90th percentile of the positive values once the highest 1 % (at least one) are
    left out, so that the outliers being looked for do not set it; inf for fewer than 4."""
    positive = np.sort(x[x > 0])
    if len(positive) < 4:
        return float("inf")
    kept = positive[:-max(1, len(positive) // 100)]
    at = 0.9 * (len(kept) - 1)  # np.quantile's linear rule, on the sorted values
    lo = int(at)
    return float(kept[lo] + (kept[min(lo + 1, len(kept) - 1)] - kept[lo]) * (at - lo))


def _rate_limit(steps: Floats, dt: Floats) -> float:
    ok = (steps > 0) & (dt > 0)
    return JUMP_FACTOR * high_level(steps[ok] / dt[ok])


def _steps(ts: Floats, v: Floats, register_max: float | None
           ) -> tuple[Floats, npt.NDArray[np.int8]]:
    """Register steps between kept readings, never negative nor a jump; their flag ranks."""
    step, dt = np.diff(v), np.diff(ts)
    ranks = np.where(dt > SLOT + TOLERANCE, _rank("gap"), 0).astype(np.int8)
    limit = _rate_limit(step, dt)
    fall = step < 0
    if register_max is not None:
        wrapped = step + register_max
        rollover = fall & (wrapped <= limit * dt)
        step = np.where(rollover, wrapped, step)
        ranks = np.where(rollover, np.maximum(ranks, _rank("rollover")), ranks)
        fall &= ~rollover
    # a reset: counted from zero up to the next reading
    step = np.where(fall, np.maximum(v[1:], 0.0), step)
    ranks = np.where(fall, _rank("reset"), ranks)
    typical = np.median(step[~fall] / dt[~fall]) if (~fall).any() else 0.0
    jump = step > limit * dt
    if register_max is not None:
        jump |= step > register_max / 2
    step = np.where(jump, typical * dt, step)
    return step, np.where(jump, _rank("jump"), ranks).astype(np.int8)


def clean_cumulative(ts: Floats, values: Floats, *, multiplier: float = 1.0,
                     register_max: float | None = None,
                     replacements: list[Replacement] | None = None) -> Slots:
    """The whole slots between the first and last readings (``ts`` sorted, distinct)."""
    if len(ts) < 2:
        return empty()
    v = _join_replacements(ts, values, replacements or [])
    keep = _drop_spikes(v)
    dropped = ts[~keep]
    ts, v = ts[keep], v[keep]
    step, ranks = _steps(ts, v, register_max)
    total = np.concatenate([[0.0], np.cumsum(step)])
    starts = _slots_between(ts[0], ts[-1])
    edges = np.append(starts, starts[-1] + SLOT) if len(starts) else starts
    value = np.maximum(np.diff(np.interp(edges, ts, total)), 0.0) * multiplier
    ranks = _mark_points(ts, ranks, dropped, "spike")
    ranks = _mark_points(ts, ranks, np.array([r.at for r in replacements or []], float),
                         "replaced")
    return Slots(starts, value, *_label(starts, ts[:-1], ts[1:], ranks))


def _mark_points(ts: Floats, ranks: npt.NDArray[np.int8], points: Floats, flag: str
                 ) -> npt.NDArray[np.int8]:
    """The steps spanning ``points`` take ``flag`` (if it ranks higher)."""
    out = ranks.copy()
    for p in points:
        i = int(np.searchsorted(ts, p, side="left")) - 1
        if 0 <= i < len(out):
            out[i] = max(out[i], _rank(flag))
    return out


def period_of(ts: Floats) -> int:
    """An interval meter's period: the most common spacing of its readings, at least a slot
    divisor; 900 s when it cannot be told."""
    if len(ts) < 2:
        return SLOT
    gaps, counts = np.unique(np.diff(ts).astype(np.int64), return_counts=True)
    return int(gaps[np.argmax(counts)]) or SLOT


def clean_interval(ts: Floats, values: Floats, *, multiplier: float = 1.0,
                   period: int | None = None) -> Slots:
    """Slots from the start of the first reading's period to the last reading."""
    if len(ts) == 0:
        return empty()
    period = period or period_of(ts)
    v = values.copy()
    ranks = np.zeros(len(v), np.int8)
    negative = v < 0
    v[negative], ranks[negative] = 0.0, _rank("negative")
    spike = v > SPIKE_FACTOR * high_level(v)
    ranks[spike] = np.maximum(ranks[spike], _rank("spike"))
    starts = _slots_between(ts[0] - period, ts[-1])
    edges = np.append(starts, starts[-1] + SLOT) if len(starts) else starts
    # running total and covered time, both rising only inside a reading's period
    knots = np.column_stack([ts - period, ts]).ravel()
    total = np.column_stack([np.cumsum(v) - v, np.cumsum(v)]).ravel()
    cover = np.column_stack([np.arange(len(v)) * period, np.arange(1, len(v) + 1) * period])
    value = np.maximum(np.diff(np.interp(edges, knots, total)), 0.0) * multiplier
    covered = np.diff(np.interp(edges, knots, cover.ravel().astype(float)))
    flag, quality = _label(starts, ts - period, ts, ranks)
    short = covered < SLOT - 1
    flag[short] = _rank("gap")
    quality[short] = np.where(covered[short] < 1, SUSPECT, ESTIMATED)
    if period > SLOT:
        quality[quality == MEASURED] = ESTIMATED
    return Slots(starts, value, flag, quality)
