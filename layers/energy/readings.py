"""Readings in: CSV (``meter_id,ts,value``) or rows are copied into a session's staging table,
checked there, and merged into ``reading`` in one statement.

The merge is idempotent: the same (meter, ts, value) again changes nothing; another value for a
(meter, ts) replaces it and the old one is kept in ``reading_revision`` (a trigger). Every day
(Asia/Shanghai) a new or changed reading touches is marked for re-cleaning in
``energy_dirty_day``. Timestamps must carry their UTC offset. The caller owns the transaction.
"""

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
from psycopg import Connection, sql

from address.errors import BadRequest
from address.transactions import require_transaction
from layers.energy.batch import Batch, from_csv, from_rows
from layers.energy.binary import pack_body

SHANGHAI = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS energy_stage"
    " (n bigint GENERATED ALWAYS AS IDENTITY, meter_id text, ts text, value float8)")
# ISO 8601 / RFC 3339 with Z or ±hh[:mm] at the end
HAS_OFFSET = r"([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"

# The staged text made typed once: the last of each (meter, ts) in the order sent, sorted as the
# primary key (the index takes them in order), with a flag for a row that breaks the rules
TYPED = f"""
CREATE TEMP TABLE energy_typed AS
SELECT DISTINCT ON (meter_id, ts) meter_id, ts, value, bad FROM (
  SELECT n, meter_id, CASE WHEN NOT bad THEN ts::timestamptz END AS ts, value, bad FROM (
    SELECT n, meter_id, ts, value,
           ts IS NULL OR meter_id IS NULL OR value IS NULL OR value = 'NaN'
           OR value IN ('Infinity', '-Infinity') OR btrim(ts) !~ '{HAS_OFFSET}' AS bad
    FROM energy_stage) checked) staged
ORDER BY meter_id, ts, n DESC
"""
# one row per meter sent: its readings, its bad ones, its time span
PER_METER = """
SELECT meter_id, count(*), count(*) FILTER (WHERE bad), min(ts), max(ts)
FROM energy_typed GROUP BY meter_id
"""
# Only the new and the changed readings reach the insert (an unchanged repeat is a join). The
# CTEs read the snapshot from before the insert, so ``old`` counts the corrections. A
# changed reading dirties its local day, and the day before when it is at midnight (the end of
# that day's last interval): per (meter, day of ts − 1 µs), the latest ts says which.
# Each staged row looks its reading up by the primary key (the LIMIT keeps the lookup a
# parameterised index probe): a hash join read the whole partition for every batch, seconds
# per batch on a month of 2,000 meters whose statistics autovacuum had not taken yet.
# It writes to one month's partition (named by ``energy_ensure_partitions``) directly: routing
# each row through the parent cost as much as the insert.
MERGE = """
WITH s AS (
  SELECT t.meter_id, t.ts, t.value, r.value AS old FROM energy_typed t
  LEFT JOIN LATERAL (SELECT r.value FROM {partition} r
                     WHERE r.meter_id = t.meter_id AND r.ts = t.ts LIMIT 1) r ON true
  WHERE t.ts >= %(lo)s AND t.ts < %(hi)s AND r.value IS DISTINCT FROM t.value),
old AS (SELECT count(*) AS n FROM s WHERE old IS NOT NULL),
up AS (
  INSERT INTO {partition} AS r (meter_id, ts, value, source)
  SELECT meter_id, ts, value, %(source)s FROM s
  ON CONFLICT (meter_id, ts) DO UPDATE
    SET value = EXCLUDED.value, received_at = now(), source = EXCLUDED.source
    WHERE r.value IS DISTINCT FROM EXCLUDED.value
  RETURNING r.meter_id, r.ts),
days AS (
  SELECT meter_id, ((ts - interval '1 microsecond') AT TIME ZONE 'Asia/Shanghai')::date AS d,
         max(ts) AS last
  FROM up GROUP BY 1, 2),
dirty AS (
  INSERT INTO energy_dirty_day (meter_id, day)
  SELECT DISTINCT meter_id, v.d FROM days,
    LATERAL (VALUES (days.d), ((days.last AT TIME ZONE 'Asia/Shanghai')::date)) v(d)
  ON CONFLICT DO NOTHING)
SELECT (SELECT count(*) FROM up), (SELECT n FROM old)
"""


@dataclass(frozen=True)
class IngestReport:
    received: int
    inserted: int
    corrected: int
    unchanged: int
    skipped: int = 0
    unknown_meters: tuple[str, ...] = ()

    def __add__(self, other: "IngestReport") -> "IngestReport":
        unknown = tuple(sorted(set(self.unknown_meters) | set(other.unknown_meters)))[:20]
        return IngestReport(self.received + other.received, self.inserted + other.inserted,
                            self.corrected + other.corrected, self.unchanged + other.unchanged,
                            self.skipped + other.skipped, unknown)


EMPTY = IngestReport(0, 0, 0, 0)


def _stage(conn: Connection) -> None:
    conn.execute(STAGE)
    conn.execute("TRUNCATE energy_stage")


def ingest_csv(conn: Connection, *, data: bytes | Iterable[bytes], header: bool = True,
               source: str = "csv", skip_unknown: bool = False) -> IngestReport:
    """Copy CSV ``meter_id,ts,value`` (a header row of exactly those names unless ``header``
    is false) and merge it."""
    require_transaction(conn, "ingest_csv")
    if isinstance(data, bytes) and (batch := from_csv(data, header=header)) is not None:
        return ingest_batch(conn, batch=batch, source=source, skip_unknown=skip_unknown)
    _stage(conn)
    options = "FORMAT csv, HEADER MATCH" if header else "FORMAT csv"
    chunks = [data] if isinstance(data, bytes) else data
    try:
        with conn.transaction(), conn.cursor().copy(
                f"COPY energy_stage (meter_id, ts, value) FROM STDIN WITH ({options})") as copy:
            for chunk in chunks:
                copy.write(chunk)
    except (psycopg.errors.DataError, psycopg.errors.BadCopyFileFormat,
            psycopg.errors.InvalidTextRepresentation) as exc:
        raise BadRequest(f"bad CSV: {_first_line(exc)}") from None
    return _merge(conn, source=source, skip_unknown=skip_unknown)


def ingest_rows(conn: Connection, *, rows: Iterable[tuple[str, datetime | str, float]],
                source: str = "api", skip_unknown: bool = False) -> IngestReport:
    """Merge (meter_id, ts, value) rows; ``ts`` an aware datetime or ISO 8601 text."""
    require_transaction(conn, "ingest_rows")
    rows = list(rows)
    if (batch := from_rows(rows)) is not None:
        return ingest_batch(conn, batch=batch, source=source, skip_unknown=skip_unknown)
    _stage(conn)
    with conn.cursor().copy("COPY energy_stage (meter_id, ts, value) FROM STDIN") as copy:
        for meter_id, ts, value in rows:
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise BadRequest(f"meter {meter_id}: value {value!r} is not a finite number")
            copy.write_row((meter_id, ts.isoformat() if isinstance(ts, datetime) else ts,
                            value))
    return _merge(conn, source=source, skip_unknown=skip_unknown)


def _first_line(exc: psycopg.Error) -> str:
    where = (exc.diag.context or "").split(",")
    line = next((w.strip() for w in where if w.strip().startswith("line")), "")
    return f"{str(exc).splitlines()[0]} ({line})" if line else str(exc).splitlines()[0]


def _typed(conn: Connection) -> list[tuple[str, int, int, datetime, datetime]]:
    """``energy_typed`` from the staged rows; per meter sent: (id, readings, bad ones, first
    ts, last ts)."""
    conn.execute("DROP TABLE IF EXISTS energy_typed")
    # the sort by (meter, ts) stays in memory
    conn.execute("SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true)")
    try:
        with conn.transaction():
            conn.execute(TYPED)
    except psycopg.errors.DataError as exc:
        raise BadRequest(f"bad time: {str(exc).splitlines()[0]}") from None
    conn.execute("ANALYZE energy_typed")  # a temporary table has no statistics otherwise
    return conn.execute(PER_METER).fetchall()


def _checked(conn: Connection, meters: list[tuple[str, int, int, datetime, datetime]]) -> None:
    if not any(bad for _, _, bad, _, _ in meters):
        return
    row = conn.execute(
        "SELECT s.meter_id, s.ts, s.value FROM energy_stage s WHERE s.ts IS NULL"
        " OR s.meter_id IS NULL OR s.value IS NULL OR s.value = 'NaN'"
        " OR s.value IN ('Infinity', '-Infinity') OR btrim(s.ts) !~ %s LIMIT 1",
        [HAS_OFFSET]).fetchone()
    assert row is not None
    raise BadRequest(f"bad reading {row[0]!r}, {row[1]!r}, {row[2]!r}: each needs a meter, a"
                     " finite value and an ISO 8601 time with its UTC offset")


def _unknown(conn: Connection, meters: list[str], skip: bool) -> tuple[str, ...]:
    """The meters of ``meters`` not registered; refused unless ``skip``."""
    rows = conn.execute(
        "SELECT s.id FROM unnest(%s::text[]) s(id)"
        " WHERE NOT EXISTS (SELECT 1 FROM meter m WHERE m.id = s.id)", [meters]).fetchall()
    unknown = tuple(sorted(r[0] for r in rows))
    if unknown and not skip:
        raise BadRequest(f"unknown meters: {', '.join(unknown[:10])}"
                         + (" …" if len(unknown) > 10 else "") + " (register them first)",
                         unknown_meters=list(unknown[:100]))
    return unknown


def _merge(conn: Connection, *, source: str, skip_unknown: bool) -> IngestReport:
    meters = _typed(conn)
    _checked(conn, meters)
    unknown = _unknown(conn, [m[0] for m in meters], skip_unknown)
    skipped = 0
    if unknown:
        skipped = conn.execute("DELETE FROM energy_typed WHERE meter_id = ANY(%s)",
                               [list(unknown)]).rowcount
    known = [m for m in meters if m[0] not in set(unknown)] if unknown else meters
    if not known:
        return IngestReport(0, 0, 0, 0, skipped, unknown[:20])
    first, last = min(m[3] for m in known), max(m[4] for m in known)
    ensure_partitions(conn, table="reading", first=first, last=last)
    changed, corrected = _merge_typed(conn, source=source, first=first, last=last)
    received = sum(m[1] for m in known)
    inserted = changed - corrected
    return IngestReport(received, inserted, corrected, received - inserted - corrected,
                        skipped, unknown[:20])


def _merge_typed(conn: Connection, *, source: str, first: datetime, last: datetime
                 ) -> tuple[int, int]:
    """``energy_typed`` merged into the partitions of [first, last]: (rows written, of them
    corrections)."""
    changed = corrected = 0
    for name, lo, hi in months(first=first, last=last):
        row = conn.execute(sql.SQL(MERGE).format(partition=sql.Identifier(f"reading_{name}")),
                           {"source": source, "lo": lo, "hi": hi}).fetchone()
        assert row is not None
        changed, corrected = changed + int(row[0]), corrected + int(row[1])
    return changed, corrected


# per meter of a month's batch: whether the partition has a reading in its span already
OVERLAPS = """
SELECT u.i FROM unnest(%(ids)s::text[], %(i)s::int[], %(lo)s::bigint[], %(hi)s::bigint[])
  u(m, i, lo, hi)
CROSS JOIN LATERAL (
  SELECT 1 FROM {partition} r
  WHERE r.meter_id = u.m AND r.ts >= timestamptz 'epoch' + u.lo * interval '1 microsecond'
    AND r.ts <= timestamptz 'epoch' + u.hi * interval '1 microsecond' LIMIT 1) x
"""
DIRTY = """
INSERT INTO energy_dirty_day (meter_id, day)
SELECT m, date '1970-01-01' + d FROM unnest(%s::text[], %s::int[]) u(m, d)
ON CONFLICT DO NOTHING
"""


def ingest_batch(conn: Connection, *, batch: Batch, source: str = "api",
                 skip_unknown: bool = False) -> IngestReport:
    """A typed batch (``layers.energy.batch``) in: per month, the meters with no reading in
    their span yet are copied straight into the partition; the rest (and all of a month whose
    copy met a concurrent writer's row) go through the merge, which keeps corrections'
    history."""
    require_transaction(conn, "ingest_batch")
    unknown = _unknown(conn, batch.meters, skip_unknown)
    skipped = 0
    if unknown:
        drop = np.isin(batch.meter, [batch.meters.index(u) for u in unknown])
        skipped, batch = int(drop.sum()), batch.take(~drop)
    if not len(batch):
        return IngestReport(0, 0, 0, 0, skipped, unknown[:20])
    first, last = (EPOCH + timedelta(microseconds=int(t))
                   for t in (batch.ts.min(), batch.ts.max()))
    ensure_partitions(conn, table="reading", first=first, last=last)
    inserted, merged = 0, []
    for name, lo, hi in months(first=first, last=last):
        part = batch.take((batch.ts >= _us(lo)) & (batch.ts < _us(hi)))
        if len(part):
            overlap = _overlapping(conn, partition=f"reading_{name}", part=part)
            fresh = part.take(~overlap)
            if len(fresh) and _copy_fresh(conn, partition=f"reading_{name}", part=fresh,
                                          source=source):
                inserted += len(fresh)
            else:
                overlap[:] = True
            merged.append(part.take(overlap))
    changed = corrected = 0
    if sum(map(len, merged)):
        _stage_typed(conn, merged)
        changed, corrected = _merge_typed(conn, source=source, first=first, last=last)
    received = len(batch)
    inserted += changed - corrected
    return IngestReport(received, inserted, corrected, received - inserted - corrected,
                        skipped, unknown[:20])


def text_array(items: Iterable[str]) -> str:
    """A ``text[]`` literal: psycopg dumps a list an element at a time in Python (4 µs each,
    most of the client's time in a batch of 5,000 MQTT messages for 2,000 meters)."""
    return "{" + ",".join('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for item in items) + "}"


def int_array(values: np.ndarray) -> str:
    """An integer array literal (``int[]``, ``bigint[]``)."""
    return "{" + ",".join(map(str, values.tolist())) + "}"


def _us(ts: datetime) -> int:
    return (ts - EPOCH) // timedelta(microseconds=1)


def _overlapping(conn: Connection, *, partition: str, part: Batch) -> np.ndarray:
    """Rows of ``part`` whose meter has a reading in the partition within its span."""
    meter, lo, hi, _ = part.spans()
    found = [r[0] for r in conn.execute(
        sql.SQL(OVERLAPS).format(partition=sql.Identifier(partition)),
        {"ids": text_array(part.meters[i] for i in meter), "i": int_array(meter),
         "lo": int_array(lo), "hi": int_array(hi)})]
    return np.isin(part.meter, found)


def _copy_fresh(conn: Connection, *, partition: str, part: Batch, source: str) -> bool:
    """``part`` copied into the partition and its days marked dirty; False (nothing written)
    when a row met one another transaction wrote since the check."""
    try:
        with conn.transaction(), conn.cursor().copy(sql.SQL(
                "COPY {} (meter_id, ts, value, source) FROM STDIN (FORMAT binary)").format(
                    sql.Identifier(partition))) as copy:
            copy.write(part.copy_body(source))
    except psycopg.errors.UniqueViolation:
        return False
    meter, day = part.dirty_days()
    conn.execute(DIRTY, [text_array(part.meters[i] for i in meter), int_array(day)])
    return True


def _stage_typed(conn: Connection, parts: list[Batch]) -> None:
    """``energy_typed`` holding the batches' rows, for the merge."""
    conn.execute("DROP TABLE IF EXISTS energy_typed")
    conn.execute("CREATE TEMP TABLE energy_typed"
                 " (meter_id text, ts timestamptz, value float8, bad bool DEFAULT false)")
    with conn.cursor().copy("COPY energy_typed (meter_id, ts, value) FROM STDIN"
                            " (FORMAT binary)") as copy:
        copy.write(pack_body([run for part in parts if len(part) for run in part.runs(None)]))
    conn.execute("ANALYZE energy_typed")


def months(*, first: datetime, last: datetime) -> Iterator[tuple[str, datetime, datetime]]:
    """The monthly partitions' suffixes (``y2024m05``) and bounds (Asia/Shanghai months) that
    [first, last] overlaps, as ``energy_ensure_partitions`` makes them."""
    month = first.astimezone(SHANGHAI).date().replace(day=1)
    while (lo := datetime(month.year, month.month, 1, tzinfo=SHANGHAI)) <= last:
        month = (month + timedelta(days=32)).replace(day=1)
        yield (f"y{lo.year:04d}m{lo.month:02d}", lo,
               datetime(month.year, month.month, 1, tzinfo=SHANGHAI))


def ensure_partitions(conn: Connection, *, table: str, first: datetime, last: datetime) -> int:
    """Make the monthly partitions of ``reading`` or ``energy_interval`` that cover
    [first, last]; the number made."""
    row = conn.execute("SELECT energy_ensure_partitions(%s, %s, %s)",
                       [table, first, last]).fetchone()
    return int(row[0]) if row else 0
