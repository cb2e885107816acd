"""Alarms: what ``anomaly.detect`` finds in a meter's clean series, kept with a state
(open → acknowledged → closed; open → closed). Scanning a span again updates the alarms it finds
(their end, severity, detail) and leaves their state alone; it is run by the recompute for the
spans it cleaned, so late data re-judge only what changed.

A kind judged over a window reaching back before the span (``CONTINUING``: creep, over two
weeks of nights) is found again by every day's scan while it lasts, each time from a later
night: such an event extends the open or acknowledged alarm of its meter and kind that it
overlaps or adjoins (its end, severity, detail) instead of starting another. Other kinds are
kept by their start, as before.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest, NotFound
from layers.energy import baselines
from layers.energy.anomaly import Event, detect

HISTORY = timedelta(days=28)
TRANSITIONS = {"acknowledged": ("open",), "closed": ("open", "acknowledged")}
SERIES = ("SELECT extract(epoch FROM ts)::bigint, value, flag FROM energy_interval"
          " WHERE meter_id = %s AND ts >= %s AND ts < %s ORDER BY ts")
UPSERT = """
INSERT INTO energy_alarm (meter_id, enterprise_id, kind, start, "end", severity, detail)
SELECT m.id, m.enterprise_id, %s, to_timestamp(%s), to_timestamp(%s), %s, %s
FROM meter m WHERE m.id = %s
ON CONFLICT (meter_id, kind, start) DO UPDATE SET "end" = EXCLUDED."end",
  severity = EXCLUDED.severity, detail = EXCLUDED.detail, updated_at = now()
"""
CONTINUING = ("base_load_creep",)
EXTEND = """
WITH extended AS (
  UPDATE energy_alarm a SET "end" = greatest(a."end", to_timestamp(%(end)s)),
    severity = %(severity)s, detail = %(detail)s, updated_at = now()
  WHERE a.id = (SELECT id FROM energy_alarm
                WHERE meter_id = %(meter)s AND kind = %(kind)s
                  AND state IN ('open', 'acknowledged') AND start <= to_timestamp(%(end)s)
                  AND coalesce("end", 'infinity') >= to_timestamp(%(start)s)
                ORDER BY start DESC LIMIT 1)
  RETURNING a.id)
INSERT INTO energy_alarm (meter_id, enterprise_id, kind, start, "end", severity, detail)
SELECT m.id, m.enterprise_id, %(kind)s, to_timestamp(%(start)s), to_timestamp(%(end)s),
       %(severity)s, %(detail)s
FROM meter m WHERE m.id = %(meter)s AND NOT EXISTS (SELECT FROM extended)
ON CONFLICT (meter_id, kind, start) DO UPDATE SET "end" = EXCLUDED."end",
  severity = EXCLUDED.severity, detail = EXCLUDED.detail, updated_at = now()
"""


def scan(conn: Connection, *, meter_id: str, start: datetime, end: datetime) -> list[Event]:
    """Detect in [start, end) against the 28 days before; the alarms upserted."""
    rows = conn.execute(SERIES, [meter_id, start - HISTORY, end]).fetchall()
    if not rows:
        return []
    ts = np.array([r[0] for r in rows], np.int64)
    values = np.array([r[1] for r in rows], float)
    now = ts >= start.timestamp()
    flags = [r[2] for r, keep in zip(rows, now, strict=True) if keep]
    events = detect(ts[now], values[now], flags, (ts[~now], values[~now]))
    _upsert(conn, [(meter_id, e) for e in events])
    return events


def _upsert(conn: Connection, found: list[tuple[str, Event]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(UPSERT, [(e.kind, e.start, e.end, e.severity, json.dumps(e.detail),
                                  meter_id) for meter_id, e in found
                                 if e.kind not in CONTINUING])
        # one at a time: an event may extend the alarm the one before it made
        for meter_id, e in found:
            if e.kind in CONTINUING:
                cur.execute(EXTEND, {"meter": meter_id, "kind": e.kind, "start": e.start,
                                     "end": e.end, "severity": e.severity,
                                     "detail": json.dumps(e.detail)})


def scan_spans(conn: Connection) -> int:
    """``scan`` every span of the recompute's ``energy_span`` at once, against each meter's
    kept baseline (``energy_baseline``) when it was made from history ending at most
    ``baselines.STALE`` before the span, else one made now from the 28 days before and kept;
    how many events were found."""
    kept = baselines.prepare(conn)
    nights = baselines.nights_before(conn)
    found: list[tuple[str, Event]] = []
    for m, ts, values, flags in baselines.series(conn):
        meter_id, base = kept[m]
        found += [(meter_id, e) for e in detect(ts, values, flags, base,
                                                nights_before=nights.get(m))]
    _upsert(conn, found)
    return len(found)


ALARM_SELECT = ('SELECT id, meter_id, enterprise_id, kind, start, "end", severity, state,'
                " detail, updated_at FROM energy_alarm")


def get_alarm(conn: Connection, *, alarm_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(ALARM_SELECT + " WHERE id = %s", [alarm_id]).fetchone()
    if row is None:
        raise NotFound(f"no alarm {alarm_id}")
    return row


def list_alarms(conn: Connection, *, meter_id: str | None = None,
                enterprise_id: int | None = None, start: datetime | None = None,
                end: datetime | None = None, state: str | None = None, limit: int = 100,
                offset: int = 0) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            ALARM_SELECT + " WHERE (%(m)s::text IS NULL OR meter_id = %(m)s)"
            " AND (%(e)s::bigint IS NULL OR enterprise_id = %(e)s)"
            ' AND (%(s)s::timestamptz IS NULL OR coalesce("end", \'infinity\') > %(s)s)'
            " AND (%(t)s::timestamptz IS NULL OR start < %(t)s)"
            " AND (%(st)s::text IS NULL OR state = %(st)s)"
            " ORDER BY start DESC, id LIMIT %(lim)s OFFSET %(off)s",
            {"m": meter_id, "e": enterprise_id, "s": start, "t": end, "st": state,
             "lim": limit, "off": offset}).fetchall()


def set_state(conn: Connection, *, alarm_id: int, state: str) -> dict[str, Any]:
    if state not in TRANSITIONS:
        raise BadRequest(f"an alarm can be set to {' or '.join(TRANSITIONS)}")
    row = conn.execute("SELECT state FROM energy_alarm WHERE id = %s FOR UPDATE",
                       [alarm_id]).fetchone()
    if row is None:
        raise NotFound(f"no alarm {alarm_id}")
    if row[0] not in TRANSITIONS[state]:
        raise BadRequest(f"alarm {alarm_id} is {row[0]}: it cannot become {state}")
    conn.execute("UPDATE energy_alarm SET state = %s, updated_at = %s WHERE id = %s",
                 [state, datetime.now(UTC), alarm_id])
    return get_alarm(conn, alarm_id=alarm_id)
