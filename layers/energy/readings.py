"""Readings in: CSV (``meter_id,ts,value``) or rows are copied into a session's staging table,
checked there, and merged into ``reading`` in one statement.

The merge is idempotent: the same (meter, ts, value) again changes nothing; another value for a
(meter, ts) replaces it and the old one is kept in ``reading_revision`` (a trigger). Every day
(Asia/Shanghai) a new or changed reading touches is marked for re-cleaning in
``energy_dirty_day``. Timestamps must carry their UTC offset. The caller owns the transaction.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import Connection

from address.errors import BadRequest
from address.transactions import require_transaction

STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS energy_stage"
    " (n bigint GENERATED ALWAYS AS IDENTITY, meter_id text, ts text, value float8)")
# ISO 8601 / RFC 3339 with Z or ±hh[:mm] at the end
HAS_OFFSET = r"([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"

# The CTEs read the snapshot from before the insert, so ``old`` counts the corrections.
MERGE = """
WITH s AS (
  SELECT DISTINCT ON (meter_id, ts) meter_id, ts, value FROM (
    SELECT n, meter_id, ts::timestamptz AS ts, value FROM energy_stage) staged
  ORDER BY meter_id, ts, n DESC),
old AS (
  SELECT count(*) AS n FROM s JOIN reading r USING (meter_id, ts)
  WHERE r.value IS DISTINCT FROM s.value),
up AS (
  INSERT INTO reading AS r (meter_id, ts, value, source)
  SELECT meter_id, ts, value, %(source)s FROM s
  ON CONFLICT (meter_id, ts) DO UPDATE
    SET value = EXCLUDED.value, received_at = now(), source = EXCLUDED.source
    WHERE r.value IS DISTINCT FROM EXCLUDED.value
  RETURNING r.meter_id, r.ts),
dirty AS (
  INSERT INTO energy_dirty_day (meter_id, day)
  SELECT DISTINCT meter_id, d FROM up,
    LATERAL (VALUES ((ts AT TIME ZONE 'Asia/Shanghai')::date),
                    (((ts - interval '1 microsecond') AT TIME ZONE 'Asia/Shanghai')::date)) v(d)
  ON CONFLICT DO NOTHING)
SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM up), (SELECT n FROM old)
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


def _checked(conn: Connection) -> None:
    bad = conn.execute(
        "SELECT meter_id, ts, value FROM energy_stage WHERE ts IS NULL OR meter_id IS NULL"
        " OR value IS NULL OR value = 'NaN' OR value IN ('Infinity', '-Infinity')"
        " OR btrim(ts) !~ %s LIMIT 1", [HAS_OFFSET]).fetchone()
    if bad is not None:
        raise BadRequest(f"bad reading {bad[0]!r}, {bad[1]!r}, {bad[2]!r}: each needs a meter, a"
                         " finite value and an ISO 8601 time with its UTC offset")


def _unknown(conn: Connection, skip: bool) -> tuple[int, tuple[str, ...]]:
    rows = conn.execute(
        "SELECT DISTINCT s.meter_id FROM energy_stage s"
        " WHERE NOT EXISTS (SELECT 1 FROM meter m WHERE m.id = s.meter_id)").fetchall()
    unknown = tuple(sorted(r[0] for r in rows))
    if unknown and not skip:
        raise BadRequest(f"unknown meters: {', '.join(unknown[:10])}"
                         + (" …" if len(unknown) > 10 else "") + " (register them first)",
                         unknown_meters=list(unknown[:100]))
    skipped = 0
    if unknown:
        skipped = conn.execute("DELETE FROM energy_stage WHERE meter_id = ANY(%s)",
                               [list(unknown)]).rowcount
    return skipped, unknown[:20]


def _merge(conn: Connection, *, source: str, skip_unknown: bool) -> IngestReport:
    conn.execute("ANALYZE energy_stage")  # a temporary table has no statistics otherwise
    _checked(conn)
    skipped, unknown = _unknown(conn, skip_unknown)
    try:
        with conn.transaction():
            span = conn.execute("SELECT min(ts::timestamptz), max(ts::timestamptz)"
                                " FROM energy_stage").fetchone()
    except psycopg.errors.DataError as exc:
        raise BadRequest(f"bad time: {str(exc).splitlines()[0]}") from None
    if span is None or span[0] is None:
        return IngestReport(0, 0, 0, 0, skipped, unknown)
    ensure_partitions(conn, table="reading", first=span[0], last=span[1])
    row = conn.execute(MERGE, {"source": source}).fetchone()
    assert row is not None
    received, changed, corrected = int(row[0]), int(row[1]), int(row[2])
    inserted = changed - corrected
    return IngestReport(received, inserted, corrected, received - inserted - corrected,
                        skipped, unknown)


def ensure_partitions(conn: Connection, *, table: str, first: datetime, last: datetime) -> int:
    """Make the monthly partitions of ``reading`` or ``energy_interval`` that cover
    [first, last]; the number made."""
    row = conn.execute("SELECT energy_ensure_partitions(%s, %s, %s)",
                       [table, first, last]).fetchone()
    return int(row[0]) if row else 0
