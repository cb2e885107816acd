"""Anomaly baselines kept per meter (``energy_baseline``) and the clean series of the
recompute's spans, read for every span at once as packed arrays.

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

from layers.energy.anomaly import KEYS, Baseline
from layers.energy.binary import unpack_float8
from layers.energy.clean import FLAG_NAMES

HISTORY = timedelta(days=28)
STALE = timedelta(days=7)
FLAGS_SQL = "ARRAY[" + ", ".join(f"'{f}'" for f in FLAG_NAMES[1:]) + "]::text[]"
FLAG_ARRAY = np.array(FLAG_NAMES, object)

SCAN = """
CREATE TEMP TABLE energy_scan AS
SELECT s.m, s.meter_id, s.start, s."end", b.through, b.slots, b.median, b.spread, b.night_median
FROM energy_span s
LEFT JOIN energy_baseline b ON b.meter_id = s.meter_id AND b.through <= s.start
  AND b.through > s.start - %(stale)s::interval AND cardinality(b.median) = %(keys)s
"""
PACKED = f"""
SELECT s.m, string_agg(float8send(extract(epoch FROM i.ts)::float8), '' ORDER BY i.ts),
       string_agg(float8send(i.value), '' ORDER BY i.ts),
       string_agg(int2send(coalesce(array_position({FLAGS_SQL}, i.flag), 0)::int2), ''
                  ORDER BY i.ts)
FROM energy_scan s JOIN energy_interval i ON i.meter_id = s.meter_id
"""
HISTORY_SERIES = PACKED + """ AND i.ts >= s.start - %(history)s::interval AND i.ts < s.start
WHERE s.through IS NULL GROUP BY s.m"""
NOW_SERIES = PACKED + ' AND i.ts >= s.start AND i.ts < s."end" GROUP BY s.m'
KEEP_ONE = """
INSERT INTO energy_baseline (meter_id, through, slots, median, spread, night_median)
SELECT meter_id, start, %s, %s, %s, %s FROM energy_scan WHERE m = %s
ON CONFLICT (meter_id) DO UPDATE SET through = EXCLUDED.through, slots = EXCLUDED.slots,
  median = EXCLUDED.median, spread = EXCLUDED.spread, night_median = EXCLUDED.night_median,
  updated_at = now()
WHERE energy_baseline.through < EXCLUDED.through
"""


def _unpack(row: tuple[int, bytes, bytes, bytes]
            ) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64], list[str | None]]:
    m, ts, values, flags = row
    codes = np.frombuffer(flags, ">i2").astype(np.intp) if flags else np.empty(0, np.intp)
    return (m, unpack_float8(ts).astype(np.int64), unpack_float8(values),
            FLAG_ARRAY[codes].tolist())


def prepare(conn: Connection) -> dict[int, tuple[str, Baseline]]:
    """``energy_scan`` for the spans, and each span's meter and baseline (kept or made)."""
    conn.execute("DROP TABLE IF EXISTS energy_scan")
    conn.execute(SCAN, {"stale": STALE, "keys": KEYS})
    rows = conn.execute("SELECT m, meter_id, slots, median, spread, night_median"
                        " FROM energy_scan").fetchall()
    empty = Baseline(np.full(KEYS, np.nan), np.full(KEYS, np.nan), 0, None)
    # a baseline kept with other keys (weekday/weekend, before) is not joined: made again
    out = {m: (meter_id, empty if slots is None else Baseline(
        np.array(median, float), np.array(spread, float), slots, night))
        for m, meter_id, slots, median, spread, night in rows}
    made = []
    for packed in conn.execute(HISTORY_SERIES, {"history": HISTORY}, binary=True):
        m, ts, values, _ = _unpack(packed)
        base = Baseline.of(ts, values)
        out[m] = (out[m][0], base)
        if base.slots >= 7 * 96:
            made.append((base.slots, base.median.tolist(), base.spread.tolist(),
                         base.night_median, m))
    with conn.cursor() as cur:
        cur.executemany(KEEP_ONE, made)
    return out


def series(conn: Connection) -> Iterator[tuple[int, npt.NDArray[np.int64],
                                               npt.NDArray[np.float64], list[str | None]]]:
    """Each span's clean slots: (m, slot starts, values, flags)."""
    for packed in conn.execute(NOW_SERIES, binary=True):
        yield _unpack(packed)
