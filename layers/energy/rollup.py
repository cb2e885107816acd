"""Hour, day and month totals per meter, enterprise, building and park, kept up to date for the
days a recompute touched (never a full refresh). Values are in the kind's base unit (kWh, t,
m³, kg, MJ); days and months are Asia/Shanghai's.

A meter's hours are not kept: they are four of its clean intervals each, summed when read
(``series``); keeping them was nine rows in ten of what a day's roll-up wrote. A day row also
keeps the use of the day's night (00:00–05:00) and of the hours either side of it (05:00–07:00,
22:00–24:00), with their slot counts: what night base-load creep is judged on, day by day,
without reading the nights' intervals again.

Which meters a total counts (``COUNTED``): a sub-meter that is counted in its parent is left out
of any total its parent is already in, so nothing is counted twice —
- an enterprise: its meters, less those counted in a parent of the same enterprise;
- a park: the meters of it (or of its enterprises), less those counted in a parent in the park;
- a building: the meters placed on it (less those counted in a parent on it), and each
  enterprise's unplaced meters split over the buildings it occupies by floor area share
  (floor share × footprint × floors);
``weight`` is 1 except for that split.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from psycopg import Connection

from layers.energy.model import UNITS

SHANGHAI = "Asia/Shanghai"
ZONE = ZoneInfo(SHANGHAI)
UNIT_VALUES = ", ".join(f"('{kind}', '{unit}', {factor!r})" for kind, units in UNITS.items()
                        for unit, factor in units.items())
METERS = f"""
  SELECT m.*, u.factor, coalesce(m.park_code, e.park_code) AS park,
         p.id AS p_id, p.enterprise_id AS p_enterprise, p.building_id AS p_building,
         coalesce(p.park_code, pe.park_code) AS p_park
  FROM meter m JOIN (VALUES {UNIT_VALUES}) u(kind, unit, factor)
       ON u.kind = m.kind AND u.unit = m.unit
  LEFT JOIN enterprise e ON e.id = m.enterprise_id
  LEFT JOIN meter p ON p.id = m.parent_id AND m.counted_in_parent
  LEFT JOIN enterprise pe ON pe.id = p.enterprise_id"""
SHARES = """
  SELECT eb.enterprise_id, eb.building_id,
         eb.floor_share * ST_Area(b.geom::geography) * coalesce(nullif(b.floors, 0), 1)
         / sum(eb.floor_share * ST_Area(b.geom::geography) * coalesce(nullif(b.floors, 0), 1))
           OVER (PARTITION BY eb.enterprise_id) AS weight
  FROM enterprise_building eb JOIN building b ON b.id = eb.building_id"""
COUNTED = f"""
WITH mm AS ({METERS}), shares AS ({SHARES})
SELECT 'meter' AS scope, id AS scope_id, id AS meter_id, kind, factor, 1.0 AS weight FROM mm
UNION ALL
SELECT 'enterprise', enterprise_id::text, id, kind, factor, 1.0 FROM mm
WHERE enterprise_id IS NOT NULL AND p_enterprise IS DISTINCT FROM enterprise_id
UNION ALL
SELECT 'park', park, id, kind, factor, 1.0 FROM mm
WHERE park IS NOT NULL AND p_park IS DISTINCT FROM park
UNION ALL
SELECT 'building', building_id::text, id, kind, factor, 1.0 FROM mm
WHERE building_id IS NOT NULL AND p_building IS DISTINCT FROM building_id
UNION ALL
SELECT 'building', s.building_id::text, mm.id, kind, factor, s.weight FROM mm
JOIN shares s ON s.enterprise_id = mm.enterprise_id
WHERE mm.building_id IS NULL AND mm.p_enterprise IS DISTINCT FROM mm.enterprise_id
"""
TOUCHED = ("CREATE TEMP TABLE IF NOT EXISTS energy_touched (meter_id text, day date,"
           " PRIMARY KEY (meter_id, day))")
CREATE_COUNTED = (
    "CREATE TEMP TABLE IF NOT EXISTS energy_counted (scope text, scope_id text, meter_id text,"
    " kind text, factor float8, weight float8)")
# The touched days as [a, b) ranges (exact Asia/Shanghai midnights, made in Python): rows are
# picked and grouped into days by comparing timestamps, never by a time-zone conversion per row
# (date_trunc(…, 'Asia/Shanghai') costs a few µs a row: seconds over a day of 2,000 meters).
# ``lo``/``hi`` bound them all, for partition pruning and the indexes.
DAYS = "unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[]) d(a, b)"
# hours by plain timestamp arithmetic: Asia/Shanghai's offset is whole hours (since 1901)
BIN = "date_bin('{width}', {col}, timestamptz '2000-01-01 00:00+08')"
HOUR = BIN.format(width="1 hour", col="{col}")
QUALITY_SUMS = """sum({v}) AS v, coalesce(sum({v}) FILTER (WHERE {q} = 'estimated'), 0) AS e,
         coalesce(sum({v}) FILTER (WHERE {q} = 'suspect'), 0) AS s"""

# A roll-up row is found by its whole key, one index scan per affected (scope, scope_id, kind),
# grain and day (``OFFSET 0`` keeps each scan apart: a join the planner may turn into a scan of
# the whole table, dead rows and all), and deleted by its ``ctid``: a plan that does not hang on
# the table's statistics.
AFFECTED_ROWS = """
SELECT r.ctid FROM affected a CROSS JOIN {ranges} CROSS JOIN unnest(%(grains)s::text[]) g(grain)
CROSS JOIN LATERAL (
  SELECT r.ctid FROM energy_rollup r
  WHERE r.scope = a.scope AND r.scope_id = a.scope_id AND r.kind = a.kind
    AND r.grain = g.grain AND r.ts >= d.a AND r.ts < d.b OFFSET 0) r"""
DELETE_ROLLUP = "DELETE FROM energy_rollup WHERE ctid = ANY(ARRAY({rows}))"
# affected (scope, scope_id, kind) × touched days: their hour and day rows again, from the slots
DELETE_DAYS = DELETE_ROLLUP.format(rows=AFFECTED_ROWS.format(ranges=DAYS))
# the intervals every affected scope sums, each with its day: each counted meter's touched days,
# one index scan per (meter, day) (``OFFSET 0``: a plan that cannot turn into a join over the
# whole partition), kept apart, so the sums below are planned on what is there (a temporary
# table never analysed is estimated from its size), not on a guess
INTERVALS = f"""
CREATE TEMP TABLE energy_iv AS
SELECT i.meter_id, d.a AS day, i.ts, i.value, i.quality
FROM (SELECT DISTINCT c.meter_id FROM energy_counted c
      JOIN affected a ON a.scope = c.scope AND a.scope_id = c.scope_id AND a.kind = c.kind) m
CROSS JOIN {DAYS}
CROSS JOIN LATERAL (
  SELECT i.meter_id, i.ts, i.value, i.quality FROM energy_interval i
  WHERE i.meter_id = m.meter_id AND i.ts >= d.a AND i.ts < d.b
    AND i.ts >= %(lo)s AND i.ts < %(hi)s OFFSET 0) i
"""
# what each affected scope but a meter sums per slot: a meter, with its factor × weight (``k``
# numbers the affected scopes: the slots are grouped by it, not by three texts)
SUMS = """
CREATE TEMP TABLE energy_sums AS
SELECT c.meter_id, a.k, c.factor * c.weight AS factor
FROM energy_counted c
JOIN affected a ON a.scope = c.scope AND a.scope_id = c.scope_id AND a.kind = c.kind
WHERE c.scope <> 'meter'
"""
NIGHT_SHOULDERS = """coalesce(sum({v}) FILTER (WHERE {night}), 0),
       coalesce(sum({n}) FILTER (WHERE {night}), 0),
       coalesce(sum({v}) FILTER (WHERE {shoulders}), 0),
       coalesce(sum({n}) FILTER (WHERE {shoulders}), 0)"""


def night_shoulders(*, day: str, ts: str, v: str, n: str) -> str:
    """The night's and shoulders' use and slot count of the day from ``day`` on, of rows at
    ``ts`` with use ``v`` and ``n`` slots."""
    return NIGHT_SHOULDERS.format(
        v=v, n=n, night=f"{ts} < {day} + interval '5 hours'",
        shoulders=f"{ts} >= {day} + interval '5 hours' AND {ts} < {day} + interval '7 hours'"
                  f" OR {ts} >= {day} + interval '22 hours'")


# the scopes other than a meter sum their meters per slot first (an hour's peak is its highest
# slot of the sum), then per hour, and their days from those hours; a touched meter's days
# straight from its intervals — one statement, nothing read back from energy_rollup
INSERT_HOURS_DAYS = f"""
WITH slots AS (
  SELECT c.k, iv.ts, {QUALITY_SUMS.format(v="iv.value * c.factor", q="iv.quality")},
         count(*) AS n
  FROM energy_iv iv JOIN energy_sums c ON c.meter_id = iv.meter_id
  GROUP BY 1, 2),
hours AS MATERIALIZED (
  SELECT k, {HOUR.format(col="ts")} AS ts, sum(v) AS v, sum(e) AS e, sum(s) AS s,
         max(v) AS peak, sum(n) AS n
  FROM slots GROUP BY 1, 2)
INSERT INTO energy_rollup (scope, scope_id, kind, grain, ts, value, estimated, suspect,
                           peak_15min, intervals, night, night_intervals, shoulders,
                           shoulder_intervals)
SELECT a.scope, a.scope_id, a.kind, g.grain, g.ts, g.v, g.e, g.s, g.peak, g.n, g.night,
       g.night_n, g.shoulders, g.shoulder_n
FROM (
  SELECT k, 'hour' AS grain, ts, v, e, s, peak, n, NULL::float8 AS night, NULL::numeric AS night_n,
         NULL::float8 AS shoulders, NULL::numeric AS shoulder_n
  FROM hours
  UNION ALL
  SELECT k, 'day', d.a, sum(v), sum(e), sum(s), max(peak), sum(n),
         {night_shoulders(day="d.a", ts="h.ts", v="h.v", n="h.n")}
  FROM hours h JOIN {DAYS} ON h.ts >= d.a AND h.ts < d.b
  GROUP BY 1, 3) g JOIN affected a ON a.k = g.k
UNION ALL
SELECT 'meter', iv.meter_id, c.kind, 'day', iv.day,
       {QUALITY_SUMS.format(v="iv.value * c.factor", q="iv.quality")},
       max(iv.value * c.factor), count(*),
       {night_shoulders(day="iv.day", ts="iv.ts", v="iv.value * c.factor", n="1")}
FROM energy_iv iv JOIN energy_counted c ON c.meter_id = iv.meter_id AND c.scope = 'meter'
WHERE iv.meter_id IN (SELECT meter_id FROM energy_touched)
GROUP BY 2, 3, 5
"""
# the touched days' months as [a, b) ranges, Asia/Shanghai's
MONTHS = f"""(
  SELECT (month::timestamp AT TIME ZONE '{SHANGHAI}'),
         ((month + interval '1 month')::timestamp AT TIME ZONE '{SHANGHAI}')
  FROM (SELECT DISTINCT date_trunc('month', day)::date FROM energy_touched) m(month)) d(a, b)"""
DELETE_MONTHS = DELETE_ROLLUP.format(rows=AFFECTED_ROWS.format(ranges=MONTHS))
# each affected scope's month from its day rows, one index scan per (scope, month)
INSERT_MONTHS = f"""
INSERT INTO energy_rollup (scope, scope_id, kind, grain, ts, value, estimated, suspect,
                           peak_15min, intervals)
SELECT a.scope, a.scope_id, a.kind, 'month', d.a, m.*
FROM affected a CROSS JOIN {MONTHS} CROSS JOIN LATERAL (
  SELECT sum(value), sum(estimated), sum(suspect), max(peak_15min), sum(intervals)
  FROM energy_rollup r
  WHERE r.scope = a.scope AND r.scope_id = a.scope_id AND r.kind = a.kind AND r.grain = 'day'
    AND r.ts >= d.a AND r.ts < d.b
  HAVING count(*) > 0) m
"""


def _touch(conn: Connection, spans: list[tuple[str, datetime, datetime]]) -> list[date]:
    conn.execute(TOUCHED)
    conn.execute("TRUNCATE energy_touched")
    with conn.cursor().copy("COPY energy_touched (meter_id, day) FROM STDIN") as copy:
        seen = set()
        for meter_id, start, end in spans:
            day = local_day(start)
            while day_start(day) < end:
                if (meter_id, day) not in seen:
                    seen.add((meter_id, day))
                    copy.write_row((meter_id, day))
                day += timedelta(days=1)
    conn.execute("ANALYZE energy_touched")
    return sorted({day for _, day in seen})


def local_day(ts: datetime) -> date:
    return ts.astimezone(ZONE).date()


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE)


def counted(conn: Connection) -> None:
    """``energy_counted``: which meters each scope's totals take, with what weight."""
    conn.execute(CREATE_COUNTED)
    conn.execute("TRUNCATE energy_counted")
    conn.execute(f"INSERT INTO energy_counted {COUNTED}")
    conn.execute("ANALYZE energy_counted")


def refresh(conn: Connection, *, spans: list[tuple[str, datetime, datetime]]) -> None:
    """The hour, day and month rows of every scope that counts a meter of ``spans``, for the
    days the spans overlap."""
    if not spans:
        return
    days = _touch(conn, spans)
    starts = [day_start(d) for d in days]
    bounds = {"lo": starts[0], "hi": day_start(days[-1] + timedelta(days=1)), "starts": starts,
              "ends": [day_start(d + timedelta(days=1)) for d in days]}
    counted(conn)
    conn.execute("DROP TABLE IF EXISTS affected")
    conn.execute("CREATE TEMP TABLE affected AS SELECT row_number() OVER () AS k, *"
                 " FROM (SELECT DISTINCT c.scope, c.scope_id, c.kind FROM energy_counted c"
                 " WHERE c.meter_id IN (SELECT DISTINCT meter_id FROM energy_touched)) a")
    conn.execute("ANALYZE affected")
    conn.execute("DROP TABLE IF EXISTS energy_sums")
    conn.execute(SUMS)
    conn.execute("ANALYZE energy_sums")
    conn.execute("SELECT set_config('work_mem', '256MB', true)")  # hash, not sort, the slots
    conn.execute(DELETE_DAYS, {**bounds, "grains": ["hour", "day"]})
    conn.execute("DROP TABLE IF EXISTS energy_iv")
    conn.execute(INTERVALS, bounds)
    conn.execute(INSERT_HOURS_DAYS, bounds)
    conn.execute(DELETE_MONTHS, {"grains": ["month"]})
    conn.execute(INSERT_MONTHS)
