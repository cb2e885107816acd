"""Night base-load creep (pure): the load a site draws when it should be idle rising slowly over
weeks — equipment left running, a leak, a failing compressor — while its working hours do not.

A creep ramps over days or weeks and then stays, so it is judged on a long series (the meter's
hourly roll-ups, or its slots, from ``LOOKBACK`` before the period looked at), never on the
period alone: a recompute chunk may start or end anywhere in the ramp, and a baseline taken
from the weeks just before a chunk already holds a creep that began in the chunk before.

Each local day has a night level (the median of its 00:00–05:00 values, per slot) and a working
level (08:00–18:00). For each day ``t`` the median night level of the ``RECENT`` nights up to
``t`` is compared with the median of a reference: the nights from ``REFERENCE_FROM`` to
``REFERENCE_TO`` days before ``t`` — weeks earlier, so the ramp is not in it yet. A creep holds on
``t`` when the night level has risen by ``RATIO`` or more *and* by ``OVER_DAY`` times more than the
working level (a night after busier days, a plant's new shift pattern or a level shift raise
both). It is reported for a run of at least ``MIN_NIGHTS`` such days (a stuck meter or a few
odd nights are shorter), from the run's first day to its last; once the reference has caught up
with the new level the run ends: the site has a new normal. Runs are found on the whole series,
so the same creep has the same start whichever chunk sees it (alarms are keyed by their start).
"""

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

LOCAL = 8 * 3600
DAY = 86400
RECENT, REFERENCE_FROM, REFERENCE_TO = 7, 35, 14  # nights (days before t)
LOOKBACK = REFERENCE_FROM + RECENT  # days of series a judgement needs before its period
RATIO, OVER_DAY, MIN_NIGHTS, MIN_REFERENCE = 1.3, 1.2, 7, 10
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Run:
    start: int  # epoch seconds of the run's first local midnight
    end: int  # epoch seconds of the local midnight after its last day
    night: float  # the recent night level at the run's end, and the reference's
    usual: float


def _daily(day: npt.NDArray[np.int64], hour: npt.NDArray[np.int64], values: Floats,
           first: int, days: int, hours: tuple[int, int]) -> Floats:
    """Per day from ``first``: the median of the values within ``hours`` (NaN without)."""
    pick = (hour >= hours[0]) & (hour < hours[1])
    out = np.full(days, np.nan)
    d, v = day[pick] - first, values[pick]
    order = np.lexsort((v, d))
    d, v = d[order], v[order]
    if not len(d):
        return out
    starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
    for a, b in zip(starts, np.r_[starts[1:], len(d)], strict=True):
        out[d[a]] = float(np.median(v[a:b]))
    return out


def _window(levels: Floats, lo: int, hi: int, need: int) -> Floats:
    """Per day t, the median of ``levels[t - lo : t - hi + 1]`` skipping NaN (NaN with fewer
    than ``need`` values)."""
    windows = sliding_window_view(np.r_[np.full(lo, np.nan), levels], lo - hi + 1)[:len(levels)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window is NaN
        out = np.nanmedian(windows, axis=1)
    out[np.isfinite(windows).sum(axis=1) < need] = np.nan
    return np.asarray(out, np.float64)


def runs(ts: npt.NDArray[np.int64], values: Floats, *, since: int) -> list[Run]:
    """The creeps in the series (values per slot or per hour, ``ts`` their starts) whose run
    reaches ``since`` or later."""
    if not len(ts):
        return []
    local = np.asarray(ts, np.int64) + LOCAL
    day, hour = local // DAY, (local % DAY) // 3600
    first, days = int(day.min()), int(day.max() - day.min()) + 1
    nights = _daily(day, hour, values, first, days, (0, 5))
    work = _daily(day, hour, values, first, days, (8, 18))
    recent = _window(nights, RECENT - 1, 0, RECENT // 2 + 1)
    usual = _window(nights, REFERENCE_FROM, REFERENCE_TO, MIN_REFERENCE)
    with np.errstate(invalid="ignore", divide="ignore"):
        work_ratio = (_window(work, RECENT - 1, 0, RECENT // 2 + 1)
                      / _window(work, REFERENCE_FROM, REFERENCE_TO, MIN_REFERENCE))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = recent / usual
        holds = (usual > 0) & (ratio >= RATIO) & (ratio > OVER_DAY * np.nan_to_num(
            work_ratio, nan=1.0))
    edges = np.diff(np.r_[0, holds.astype(np.int8), 0])
    found = []
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        end = (first + int(b)) * DAY - LOCAL
        if b - a >= MIN_NIGHTS and end > since:
            found.append(Run((first + int(a)) * DAY - LOCAL, end, float(recent[b - 1]),
                             float(usual[b - 1])))
    return found
