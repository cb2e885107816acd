"""The recompute queue: days whose readings changed (``energy_dirty_day``, filled by ingest) are
cleaned again into ``energy_interval`` and rolled up, a chunk at a time.

``recompute(conn, max_meters=, max_days=)`` takes at most that many meters and, of each, its
earliest ``max_days`` queued days, re-cleans the span they need (from the reading before the
first day to the reading after the last, since a step across a gap spreads over every day it
spans), replaces those intervals, rolls the touched days up, and leaves the rest queued. Run it
until it reports nothing done; running it twice changes nothing. The caller owns the
transaction; taking a day off the queue locks it, so concurrent runs share the work.

It is set-based: one query finds every taken meter's span and kind, one reads all their
readings (as packed doubles), cleaning is numpy per meter, and the intervals go back in one
binary COPY fed while the cleaning goes on; roll-ups and anomaly baselines are SQL over the
chunk.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from psycopg import Connection, sql
from psycopg.copy import QueuedLibpqWriter

from address.statistics import fresh_statistics
from layers.energy import alarms, rollup
from layers.energy.batch import PG_EPOCH_US
from layers.energy.binary import HEADER, TRAILER, pack_rows, unpack_float8
from layers.energy.clean import (
    FLAG_NAMES,
    QUALITY_NAMES,
    Replacement,
    Slots,
    clean_cumulative,
    clean_interval,
)
from layers.energy.readings import ensure_partitions, months
from layers.energy.rollup import day_start

# readings back to at least this long before the span's end: they set a meter's usual level
# (the rate a jump is judged by, an interval meter's spike level) when the span is short
CONTEXT = timedelta(days=2)
# spans cleaned between two writes to the COPY
BATCH = 200

TAKE = """
WITH p AS MATERIALIZED (
  SELECT meter_id, day FROM (
    SELECT meter_id, day, row_number() OVER (PARTITION BY meter_id ORDER BY day) AS n
    FROM energy_dirty_day WHERE meter_id IN (
      SELECT DISTINCT meter_id FROM energy_dirty_day ORDER BY 1 LIMIT %(meters)s)) q
  WHERE n <= %(days)s)
DELETE FROM energy_dirty_day d USING p
WHERE d.meter_id = p.meter_id AND d.day = p.day
RETURNING d.meter_id, d.day
"""
# one row per taken meter: m (its index), the days' bounds [lo, hi), the readings just outside
# them, what re-cleaning rewrites [start, end) and the readings it reads [read_lo, read_hi].
# ``before`` may be the reading at ``lo`` itself: a queued day's readings are those after its
# midnight (the one at midnight closes the day before), so the slots from ``lo`` on are all
# that can change when one is there; without it the step from the reading before spreads
# back over the gap.
# The reading before (after) is looked for in the hour before (after) first: on statistics
# taken early in a bulk load, max(ts) over all of a meter's readings was planned as a bitmap
# scan of every one of them (4.6 M rows for 24 days of 2,000 meters: 2 CPU-s); the unbounded
# look runs only for a meter with no reading in that hour.
SPANS = """
CREATE TEMP TABLE energy_span AS
SELECT m, meter_id, lo, hi, before, after, reading_type, multiplier, register_max,
       least(lo, to_timestamp(floor(extract(epoch FROM before) / 900) * 900)) AS start,
       greatest(hi, after) AS "end",
       least(lo, hi - %(context)s::interval, before) AS read_lo, coalesce(after, hi) AS read_hi
FROM (
  SELECT q.m::int AS m, q.meter_id, q.lo, q.hi, b.before, a.after, mt.reading_type,
         mt.multiplier, mt.register_max
  FROM unnest(%(meters)s::text[], %(lo)s::timestamptz[], %(hi)s::timestamptz[])
       WITH ORDINALITY q(meter_id, lo, hi, m)
  JOIN meter mt ON mt.id = q.meter_id
  CROSS JOIN LATERAL (SELECT coalesce(
      (SELECT max(ts) FROM reading r WHERE r.meter_id = q.meter_id
         AND r.ts <= q.lo AND r.ts > q.lo - interval '1 hour'),
      (SELECT max(ts) FROM reading r WHERE r.meter_id = q.meter_id AND r.ts <= q.lo))
      AS before) b
  CROSS JOIN LATERAL (SELECT coalesce(
      (SELECT min(ts) FROM reading r WHERE r.meter_id = q.meter_id
         AND r.ts >= q.hi AND r.ts < q.hi + interval '1 hour'),
      (SELECT min(ts) FROM reading r WHERE r.meter_id = q.meter_id AND r.ts >= q.hi))
      AS after) a) spans
"""
SPAN_ROWS = """
SELECT m, meter_id, reading_type, multiplier, register_max, extract(epoch FROM start),
       extract(epoch FROM "end")
FROM energy_span ORDER BY m
"""
# per span its own index scan (a join over all the spans planned a whole partition's scan)
READINGS = """
SELECT s.m, r.ts, r.v FROM energy_span s CROSS JOIN LATERAL (
  SELECT string_agg(float8send(extract(epoch FROM r.ts)::float8), '' ORDER BY r.ts) AS ts,
         string_agg(float8send(r.value), '' ORDER BY r.ts) AS v
  FROM reading r WHERE r.meter_id = s.meter_id AND r.ts >= s.read_lo AND r.ts <= s.read_hi
  ) r
WHERE r.ts IS NOT NULL
"""
REPLACEMENTS = """
SELECT s.m, extract(epoch FROM r.replaced_at)::float8, r.old_final, r.new_initial
FROM energy_span s JOIN meter_replacement r ON r.meter_id = s.meter_id
ORDER BY s.m, r.replaced_at
"""
# a month's partition at a time, each span's rows by its own index scan (``OFFSET 0`` keeps the
# scans apart), deleted by ctid: a join of the spans to the partition was planned as a scan of
# all of it (a month of every meter) or, on statistics taken while it looked empty, as a scan of
# it per span (minutes)
DELETE_SPANS = """
DELETE FROM {partition} WHERE ctid = ANY(ARRAY(
  SELECT i.ctid FROM energy_span s CROSS JOIN LATERAL (
    SELECT i.ctid FROM {partition} i
    WHERE i.meter_id = s.meter_id AND i.ts >= s.start AND i.ts < s."end" OFFSET 0) i))
"""
@dataclass
class RecomputeReport:
    meters: int = 0
    days: int = 0
    intervals: int = 0
    alarms: int = 0
    spans: list[tuple[str, datetime, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class _Span:
    m: int
    meter_id: str
    reading_type: str
    multiplier: float
    register_max: float | None
    start: float  # what re-cleaning rewrites, epoch seconds
    end: float


def _queued(conn: Connection, max_meters: int, max_days: int) -> dict[str, list[date]]:
    taken: dict[str, list[date]] = {}
    # the queue grows inside the ingest's transaction, unseen by autovacuum: without fresh
    # statistics the planner joins it to itself row by row
    conn.execute("ANALYZE energy_dirty_day")
    for meter_id, day in conn.execute(TAKE, {"meters": max_meters, "days": max_days}):
        taken.setdefault(meter_id, []).append(day)
    return taken


def _spans(conn: Connection, queued: dict[str, list[date]]) -> list[_Span]:
    """``energy_span`` for the taken meters, and what each one's re-cleaning rewrites: from
    the slot of the reading before its first day to the reading at or after its last."""
    meters = sorted(queued)
    conn.execute("DROP TABLE IF EXISTS energy_span")
    conn.execute(SPANS, {"meters": meters, "context": CONTEXT,
                         "lo": [day_start(min(queued[m])) for m in meters],
                         "hi": [day_start(max(queued[m])) + timedelta(days=1) for m in meters]})
    conn.execute("ANALYZE energy_span")
    return [_Span(int(r[0]), r[1], r[2], float(r[3]), r[4], float(r[5]), float(r[6]))
            for r in conn.execute(SPAN_ROWS)]


def _replacements(conn: Connection) -> dict[int, list[Replacement]]:
    out: dict[int, list[Replacement]] = {}
    for m, at, old, new in conn.execute(REPLACEMENTS):
        out.setdefault(m, []).append(Replacement(int(at), float(old), float(new)))
    return out


def _clean(span: _Span, ts: npt.NDArray[np.float64], values: npt.NDArray[np.float64],
           replacements: list[Replacement]) -> Slots:
    """A span's clean slots inside [start, end)."""
    if span.reading_type == "cumulative":
        slots = clean_cumulative(ts, values, multiplier=span.multiplier,
                                 register_max=span.register_max, replacements=replacements)
    else:
        slots = clean_interval(ts, values, multiplier=span.multiplier)
    return slots.take((slots.start >= span.start) & (slots.start < span.end))


def _replace(conn: Connection, spans: list[_Span]) -> int:
    """Replace the spans' intervals with their clean slots: a DELETE per month's partition,
    then one binary COPY that the cleaning feeds ``BATCH`` spans at a time, so the server
    stores one batch while the next is cleaned (nothing conflicts once the spans are gone)."""
    first = datetime.fromtimestamp(min(s.start for s in spans), UTC)
    last = datetime.fromtimestamp(max(s.end for s in spans), UTC)
    ensure_partitions(conn, table="energy_interval", first=first, last=last)
    partitions = [f"energy_interval_{name}" for name, _, _ in months(first=first, last=last)]
    for partition in partitions:
        conn.execute(sql.SQL(DELETE_SPANS).format(partition=sql.Identifier(partition)))
    replacements = _replacements(conn)
    by_m = {s.m: s for s in spans}
    ids = {s.m: s.meter_id.encode() for s in spans}
    rows = conn.execute(READINGS, binary=True).fetchall()  # read all: the COPY takes the line
    written = 0
    cursor = conn.cursor()
    with cursor.copy("COPY energy_interval (meter_id, ts, value, quality, flag)"
                     " FROM STDIN (FORMAT binary)", writer=QueuedLibpqWriter(cursor)) as copy:
        copy.write(HEADER)
        for at in range(0, len(rows), BATCH):
            parts = {m: _clean(by_m[m], unpack_float8(ts), unpack_float8(values),
                               replacements.get(m, []))
                     for m, ts, values in rows[at:at + BATCH]}
            parts = {m: slots for m, slots in parts.items() if len(slots)}
            if parts:
                m = np.concatenate([np.full(len(s), k, np.int32) for k, s in parts.items()])
                slots = Slots(*(np.concatenate([getattr(s, f) for s in parts.values()])
                                for f in ("start", "value", "flag_code", "quality_code")))
                copy.write(pack_rows(_interval_runs(ids, m, slots)))
                written += len(m)
        copy.write(TRAILER)
    fresh_statistics(conn, tables=partitions, rows=written)
    return written


def _interval_runs(ids: dict[int, bytes], m: npt.NDArray[np.int32], slots: Slots
                   ) -> list[tuple[npt.NDArray[np.generic] | None, ...]]:
    """Binary COPY runs of (meter_id, ts, value, quality, flag): one per length of meter id,
    quality and flag, so each of those is a fixed-width (or NULL) column."""
    width = np.array([len(ids[k]) for k in m.tolist()], np.int32)
    key = (width.astype(np.int64) * 256 + slots.quality_code) * 256 + slots.flag_code
    runs: list[tuple[npt.NDArray[np.generic] | None, ...]] = []
    for k in np.unique(key).tolist():
        rows = np.flatnonzero(key == k)
        n, quality, flag = len(rows), QUALITY_NAMES[k // 256 % 256], FLAG_NAMES[k % 256]
        runs.append((np.array([ids[i] for i in m[rows].tolist()], f"S{k // 65536}"),
                     (slots.start[rows] * 1_000_000 - PG_EPOCH_US).astype(np.int64),
                     slots.value[rows].astype(np.float64),
                     np.full(n, quality.encode(), f"S{len(quality)}"),
                     None if flag is None else np.full(n, flag.encode(), f"S{len(flag)}")))
    return runs


def recompute(conn: Connection, *, max_meters: int = 2000, max_days: int = 62,
              roll_up: bool = True, detect: bool = True) -> RecomputeReport:
    """Clean (roll up, look for anomalies in) one chunk of the queue; an empty report when it
    is empty."""
    queued = _queued(conn, max_meters, max_days)
    report = RecomputeReport(meters=len(queued), days=sum(len(d) for d in queued.values()))
    if not queued:
        return report
    spans = _spans(conn, queued)
    report.spans = [(s.meter_id, datetime.fromtimestamp(s.start, UTC),
                     datetime.fromtimestamp(s.end, UTC)) for s in spans]
    report.intervals = _replace(conn, spans)
    if roll_up:
        rollup.refresh(conn, spans=report.spans)
    if detect:
        report.alarms = alarms.scan_spans(conn)
    return report


def recompute_all(conn: Connection, *, max_meters: int = 2000, max_days: int = 62,
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
