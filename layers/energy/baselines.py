"""Anomaly baselines kept per meter (``energy_baseline``), the clean series of the recompute's
spans, read for every span at once as packed arrays, and the whole nights before each span
from the meter's day roll-ups (for creep, judged over two weeks of nights: a day's span holds
one).

A span is scanned against its meter's kept baseline when that was made from the history before
a time at most ``STALE`` before the span's start (and not after it); otherwise a baseline is made
now from the ``HISTORY`` before the span — all such meters in one query — and kept when it has
the week of history detection needs. So a daily run reads 28 days per meter once a week, not
every day.
"""

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from psycopg import Connection

from layers.energy.anomaly import (
    CREEP_NIGHTS,
    KEYS,
    NIGHT_SLOTS,
    SHOULDER_SLOTS,
    Baseline,
    Nights,
    night_over_shoulders,
)
from layers.energy.batch import PG_EPOCH_US
from layers.energy.binary import float8_arrays, pack, unpack_array
from layers.energy.clean import FLAG_NAMES
from layers.energy.rollup import BIN

HISTORY = timedelta(days=28)
STALE = timedelta(days=7)
FLAGS_SQL = "ARRAY[" + ", ".join(f"'{f}'" for f in FLAG_NAMES[1:]) + "]::text[]"
FLAG_ARRAY = np.array([f or "" for f in FLAG_NAMES])  # "": none

SCAN = """
CREATE TEMP TABLE energy_scan AS
SELECT s.m, s.meter_id, s.start, s."end", b.through, b.slots, b.median, b.spread, b.night_median
FROM energy_span s
LEFT JOIN energy_baseline b ON b.meter_id = s.meter_id AND b.through <= s.start
  AND b.through > s.start - %(stale)s::interval AND cardinality(b.median) = %(keys)s
"""
KEPT = ("SELECT m, meter_id, slots, array_send(median), array_send(spread), night_median"
        " FROM energy_scan")
# Per span its own index scan, its slots in order, as arrays sent in binary: one aggregate row
# a span and no per-row function (the join of all spans grouped by span, with a ``string_agg``
# of ``float8send`` per column, cost 2.4–3 backend CPU-s for 28 days of 2,000 meters; this
# 0.6–0.7). Their order is checked again when they are read.
SLOTS = """
SELECT s.m, array_send(i.ts), array_send(i.v){flags} FROM energy_scan s CROSS JOIN LATERAL (
  SELECT array_agg(i.ts) AS ts, array_agg(i.value) AS v{flag_agg} FROM (
    SELECT i.ts, i.value, i.flag FROM energy_interval i
    WHERE i.meter_id = s.meter_id AND {bounds} ORDER BY i.ts) i) i
WHERE {which} AND i.ts IS NOT NULL
"""
HISTORY_SERIES = SLOTS.format(
    flags="", flag_agg="", which="s.through IS NULL",
    bounds="i.ts >= s.start - %(history)s::interval AND i.ts < s.start")
NOW_SERIES = SLOTS.format(
    flags=", array_send(i.f)", which="true", bounds='i.ts >= s.start AND i.ts < s."end"',
    flag_agg=f", array_agg(coalesce(array_position({FLAGS_SQL}, i.flag), 0)::int2) AS f")
# baselines made now, written by one binary COPY (NaN: no night median) and kept in one statement
MADE = ("CREATE TEMP TABLE IF NOT EXISTS energy_made (m int, slots int, median float8[],"
        " spread float8[], night_median float8)")
KEEP = """
INSERT INTO energy_baseline (meter_id, through, slots, median, spread, night_median)
SELECT s.meter_id, s.start, k.slots, k.median, k.spread, nullif(k.night_median, 'NaN')
FROM energy_made k JOIN energy_scan s ON s.m = k.m
ON CONFLICT (meter_id) DO UPDATE SET through = EXCLUDED.through, slots = EXCLUDED.slots,
  median = EXCLUDED.median, spread = EXCLUDED.spread, night_median = EXCLUDED.night_median,
  updated_at = now()
WHERE energy_baseline.through < EXCLUDED.through
"""
# The local days before each span's first (whole days only: one the span starts inside is
# neither), their night's (00–05 h) and shoulders' (05–07, 22–24 h) totals and slot counts as
# the meter's day roll-ups keep them, one index scan a span; days by fixed UTC+8 arithmetic,
# as ``anomaly`` does.
DAY = BIN.format(width="1 day", col="{col}")
NIGHTS = f"""
SELECT s.m, extract(epoch FROM r.ts)::bigint, r.night, r.night_intervals, r.shoulders,
       r.shoulder_intervals
FROM energy_scan s JOIN meter mt ON mt.id = s.meter_id
CROSS JOIN LATERAL (SELECT {DAY.format(col="s.start")} AS first) f
CROSS JOIN LATERAL (
  SELECT r.ts, r.night, r.night_intervals, r.shoulders, r.shoulder_intervals
  FROM energy_rollup r
  WHERE r.scope = 'meter' AND r.scope_id = s.meter_id AND r.kind = mt.kind AND r.grain = 'day'
    AND r.ts >= f.first - %(nights)s * interval '1 day' AND r.ts < f.first) r
WHERE r.night IS NOT NULL
ORDER BY 1, 2
"""
Series = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.intp]]


def _unpack(ts: bytes, values: bytes, flags: bytes | None = None) -> Series:
    """Slot starts (epoch seconds), values and flag codes of one span, in time order."""
    starts = (unpack_array(ts, ">i8") + PG_EPOCH_US) // 1_000_000
    v = unpack_array(values, ">f8").astype(np.float64)
    codes = unpack_array(flags, ">i2").astype(np.intp) if flags else np.zeros(len(v), np.intp)
    if len(starts) > 1 and not (np.diff(starts) > 0).all():
        order = np.argsort(starts, kind="stable")
        starts, v, codes = starts[order], v[order], codes[order]
    return starts.astype(np.int64), v, codes


def _kept(conn: Connection) -> dict[int, tuple[str, Baseline]]:
    empty = Baseline(np.full(KEYS, np.nan), np.full(KEYS, np.nan), 0, None)
    # a baseline kept with other keys (weekday/weekend, before) is not joined: made again
    return {m: (meter_id, empty if slots is None else Baseline(
        unpack_array(median, ">f8").astype(np.float64),
        unpack_array(spread, ">f8").astype(np.float64), slots, night))
        for m, meter_id, slots, median, spread, night in conn.execute(KEPT, binary=True)}


def _keep(conn: Connection, made: dict[int, Baseline]) -> None:
    conn.execute(MADE)
    conn.execute("TRUNCATE energy_made")
    if not made:
        return
    night = [np.nan if b.night_median is None else b.night_median for b in made.values()]
    with conn.cursor().copy("COPY energy_made FROM STDIN (FORMAT binary)") as copy:
        copy.write(pack(np.array(list(made), np.int32),
                        np.array([b.slots for b in made.values()], np.int32),
                        float8_arrays(np.array([b.median for b in made.values()])),
                        float8_arrays(np.array([b.spread for b in made.values()])),
                        np.array(night, np.float64)))
    conn.execute(KEEP)


def prepare(conn: Connection) -> dict[int, tuple[str, Baseline]]:
    """``energy_scan`` for the spans, and each span's meter and baseline (kept or made)."""
    conn.execute("DROP TABLE IF EXISTS energy_scan")
    conn.execute(SCAN, {"stale": STALE, "keys": KEYS})
    out = _kept(conn)
    made = {}
    for m, ts, values in conn.execute(HISTORY_SERIES, {"history": HISTORY}, binary=True):
        starts, v, _ = _unpack(ts, values)
        base = Baseline.of(starts, v)
        out[m] = (out[m][0], base)
        if base.slots >= 7 * 96:
            made[m] = base
    _keep(conn, made)
    return out


def series(conn: Connection) -> Iterator[tuple[int, npt.NDArray[np.int64],
                                               npt.NDArray[np.float64], npt.NDArray[np.str_]]]:
    """Each span's clean slots: (m, slot starts, values, flags ("" for none))."""
    for m, ts, values, flags in conn.execute(NOW_SERIES, binary=True):
        starts, v, codes = _unpack(ts, values, flags)
        yield m, starts, v, FLAG_ARRAY[codes]


def nights_before(conn: Connection) -> dict[int, Nights]:
    """Each span's whole nights in the ``CREEP_NIGHTS`` − 1 days before it, from the roll-ups."""
    rows = conn.execute(NIGHTS, {"nights": CREEP_NIGHTS - 1}).fetchall()
    if not rows:
        return {}
    m = np.array([r[0] for r in rows], np.int64)
    day = np.array([r[1] for r in rows], np.int64)
    sums = np.array([[np.nan if x is None else float(x) for x in r[2:]] for r in rows])
    whole = ((sums[:, 1] == len(NIGHT_SLOTS)) & (sums[:, 3] == len(SHOULDER_SLOTS))
             & (sums[:, 2] > 0))
    m, day, ratio = m[whole], day[whole], night_over_shoulders(sums[whole, 0], sums[whole, 2])
    cuts = np.flatnonzero(np.diff(m)) + 1  # rows come by span, then day
    return {int(k[0]): (d, r) for k, d, r in zip(np.split(m, cuts), np.split(day, cuts),
                                                  np.split(ratio, cuts), strict=True) if len(k)}
