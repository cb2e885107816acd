"""The recompute queue: days whose readings changed (``energy_dirty_day``, filled by ingest) are
cleaned again into ``energy_interval`` and rolled up, a chunk at a time.

``recompute(conn, max_meters=, max_days=)`` takes at most that many meters and, of each, its
earliest ``max_days`` queued days, re-cleans the span they need (from the reading before the
first day to the reading after the last, since a step across a gap spreads over every day it
spans), replaces those intervals, rolls the touched days up, and leaves the rest queued. Run it
until it reports nothing done; running it twice changes nothing. The caller owns the
transaction; taking a day off the queue locks it, so concurrent runs share the work.
"""

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from psycopg import Connection

from layers.energy import alarms, rollup
from layers.energy.clean import SLOT, Replacement, Slots, clean_cumulative, clean_interval
from layers.energy.readings import ensure_partitions
from layers.energy.rollup import day_start

CONTEXT = timedelta(days=7)  # readings before the span that set a meter's usual level

TAKE = """
DELETE FROM energy_dirty_day d USING (
  SELECT meter_id, day FROM (
    SELECT meter_id, day, row_number() OVER (PARTITION BY meter_id ORDER BY day) AS n
    FROM energy_dirty_day WHERE meter_id IN (
      SELECT DISTINCT meter_id FROM energy_dirty_day ORDER BY 1 LIMIT %(meters)s)) q
  WHERE n <= %(days)s) p
WHERE d.meter_id = p.meter_id AND d.day = p.day
RETURNING d.meter_id, d.day
"""
READINGS = """
SELECT extract(epoch FROM ts)::float8, value FROM reading
WHERE meter_id = %(m)s AND ts <= coalesce(
    (SELECT min(ts) FROM reading WHERE meter_id = %(m)s AND ts >= %(hi)s), %(hi)s)
  AND ts >= least(%(lo)s - %(context)s::interval,
                  (SELECT max(ts) FROM reading WHERE meter_id = %(m)s AND ts < %(lo)s))
ORDER BY ts
"""
BOUNDS = """
SELECT (SELECT max(ts) FROM reading WHERE meter_id = %(m)s AND ts < %(lo)s),
       (SELECT min(ts) FROM reading WHERE meter_id = %(m)s AND ts >= %(hi)s)
"""
WRITE_STAGE = ("CREATE TEMP TABLE IF NOT EXISTS energy_clean_stage"
               " (meter_id text, t bigint, value float8, quality text, flag text)")


@dataclass
class RecomputeReport:
    meters: int = 0
    days: int = 0
    intervals: int = 0
    alarms: int = 0
    spans: list[tuple[str, datetime, datetime]] = field(default_factory=list)


def _replacements(conn: Connection, meter_id: str) -> list[Replacement]:
    rows = conn.execute("SELECT extract(epoch FROM replaced_at)::float8, old_final, new_initial"
                        " FROM meter_replacement WHERE meter_id = %s ORDER BY replaced_at",
                        [meter_id]).fetchall()
    return [Replacement(int(t), float(old), float(new)) for t, old, new in rows]


def _span(conn: Connection, meter_id: str, lo: datetime, hi: datetime
          ) -> tuple[datetime, datetime]:
    """What re-cleaning [lo, hi) rewrites: from the slot of the reading before ``lo`` to the
    reading at or after ``hi``."""
    row = conn.execute(BOUNDS, {"m": meter_id, "lo": lo, "hi": hi}).fetchone()
    before, after = row if row else (None, None)
    start = _floor(before) if before is not None else lo
    return min(start, lo), max(after or hi, hi)


def _floor(ts: datetime) -> datetime:
    epoch = int(ts.timestamp()) // SLOT * SLOT
    return datetime.fromtimestamp(epoch, UTC)


def clean_meter(conn: Connection, *, meter_id: str, lo: datetime, hi: datetime
                ) -> tuple[Slots, datetime, datetime]:
    """The clean slots of one meter that re-cleaning [lo, hi) rewrites, and that span."""
    kind = conn.execute("SELECT reading_type, multiplier, register_max FROM meter WHERE id = %s",
                        [meter_id]).fetchone()
    start, end = _span(conn, meter_id, lo, hi)
    rows = conn.execute(READINGS, {"m": meter_id, "lo": lo, "hi": hi,
                                   "context": CONTEXT}).fetchall()
    if kind is None or not rows:
        return Slots(np.empty(0, np.int64), np.empty(0), [], []), start, end
    ts = np.array([r[0] for r in rows], float)
    values = np.array([r[1] for r in rows], float)
    if kind[0] == "cumulative":
        slots = clean_cumulative(ts, values, multiplier=kind[1], register_max=kind[2],
                                 replacements=_replacements(conn, meter_id))
    else:
        slots = clean_interval(ts, values, multiplier=kind[1])
    keep = (slots.start >= start.timestamp()) & (slots.start < end.timestamp())
    index = np.flatnonzero(keep)
    return Slots(slots.start[index], slots.value[index], [slots.quality[i] for i in index],
                 [slots.flag[i] for i in index]), start, end


def _copy_text(meter_id: str, slots: Slots) -> str:
    out = io.StringIO()
    for t, v, q, f in zip(slots.start.tolist(), slots.value.tolist(), slots.quality, slots.flag,
                          strict=True):
        out.write(f"{meter_id}\t{t}\t{v!r}\t{q}\t{f or chr(92) + 'N'}\n")
    return out.getvalue()


def _write(conn: Connection, cleaned: list[tuple[str, Slots, datetime, datetime]]) -> int:
    conn.execute(WRITE_STAGE)
    conn.execute("TRUNCATE energy_clean_stage")
    with conn.cursor().copy("COPY energy_clean_stage FROM STDIN") as copy:
        for meter_id, slots, _, _ in cleaned:
            copy.write(_copy_text(meter_id, slots))
    first = min(c[2] for c in cleaned)
    last = max(c[3] for c in cleaned)
    ensure_partitions(conn, table="energy_interval", first=first, last=last)
    conn.execute(
        "DELETE FROM energy_interval i USING unnest(%s::text[], %s::timestamptz[],"
        " %s::timestamptz[]) AS s(meter_id, lo, hi)"
        " WHERE i.meter_id = s.meter_id AND i.ts >= s.lo AND i.ts < s.hi",
        [[c[0] for c in cleaned], [c[2] for c in cleaned], [c[3] for c in cleaned]])
    cur = conn.execute("INSERT INTO energy_interval (meter_id, ts, value, quality, flag)"
                       " SELECT meter_id, to_timestamp(t), value, quality, flag"
                       " FROM energy_clean_stage")
    return cur.rowcount


def _queued(conn: Connection, max_meters: int, max_days: int) -> dict[str, list[date]]:
    taken: dict[str, list[date]] = {}
    for meter_id, day in conn.execute(TAKE, {"meters": max_meters, "days": max_days}):
        taken.setdefault(meter_id, []).append(day)
    return taken


def recompute(conn: Connection, *, max_meters: int = 200, max_days: int = 62,
              roll_up: bool = True, detect: bool = True) -> RecomputeReport:
    """Clean (roll up, look for anomalies in) one chunk of the queue; an empty report when it
    is empty."""
    report = RecomputeReport()
    cleaned = []
    for meter_id, days in sorted(_queued(conn, max_meters, max_days).items()):
        lo, hi = day_start(min(days)), day_start(max(days)) + timedelta(days=1)
        slots, start, end = clean_meter(conn, meter_id=meter_id, lo=lo, hi=hi)
        cleaned.append((meter_id, slots, start, end))
        report.meters += 1
        report.days += len(days)
        report.spans.append((meter_id, start, end))
    if cleaned:
        report.intervals = _write(conn, cleaned)
        if roll_up:
            rollup.refresh(conn, spans=report.spans)
        if detect:
            for meter_id, start, end in report.spans:
                report.alarms += len(alarms.scan(conn, meter_id=meter_id, start=start, end=end))
    return report


def recompute_all(conn: Connection, *, max_meters: int = 200, max_days: int = 62,
                  detect: bool = True) -> RecomputeReport:
    """Work through the whole queue (in chunks, one transaction: the caller's)."""
    total = RecomputeReport()
    while (chunk := recompute(conn, max_meters=max_meters, max_days=max_days,
                              detect=detect)).meters:
        total.meters += chunk.meters
        total.days += chunk.days
        total.intervals += chunk.intervals
        total.alarms += chunk.alarms
    return total
