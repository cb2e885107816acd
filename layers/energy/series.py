"""Consumption over time of a meter, enterprise, building or park, and rankings.

15-minute points come from the clean intervals (for an enterprise, building or park summed over
the meters it counts, ``rollup.COUNTED``), and so do a meter's hours (four intervals each: they
are not kept); the other hour, day and month points from the roll-ups. Values
are in the kind's base unit; a point's quality is the worst of what it sums. ``ts`` is the start
of each interval.
"""

from datetime import datetime
from typing import Any

from psycopg import Connection

from address.errors import BadRequest, NotFound
from layers.energy.model import UNITS
from layers.energy.rollup import COUNTED, HOUR, ZONE

INTERVALS = ("15min", "hour", "day", "month")
SCOPES = ("meter", "enterprise", "building", "park")
QUALITY = ("CASE WHEN {s} > 0 THEN 'suspect' WHEN {e} > 0 THEN 'estimated'"
           " ELSE 'measured' END")
FROM_ROLLUP = f"""
SELECT ts, value, {QUALITY.format(s="suspect", e="estimated")} FROM energy_rollup
WHERE scope = %(scope)s AND scope_id = %(id)s AND kind = %(kind)s AND grain = %(grain)s
  AND ts >= %(start)s AND ts < %(end)s ORDER BY ts
"""
# a meter's (or a scope's summed) intervals, each slot or binned by hour
FROM_SLOTS = {interval: f"""
WITH c AS ({COUNTED})
SELECT {bin} AS bin, sum(i.value * c.factor * c.weight),
       {QUALITY.format(s="count(*) FILTER (WHERE i.quality = 'suspect')",
                       e="count(*) FILTER (WHERE i.quality = 'estimated')")}
FROM c JOIN energy_interval i ON i.meter_id = c.meter_id
WHERE c.scope = %(scope)s AND c.scope_id = %(id)s AND c.kind = %(kind)s
  AND i.ts >= %(start)s AND i.ts < %(end)s
GROUP BY bin ORDER BY bin
""" for interval, bin in (("15min", "i.ts"), ("hour", HOUR.format(col="i.ts")))}
EXISTS = {
    "meter": "SELECT kind FROM meter WHERE id = %s",
    "enterprise": "SELECT NULL FROM enterprise WHERE id::text = %s",
    "building": "SELECT NULL FROM building WHERE id::text = %s",
    "park": "SELECT NULL FROM park WHERE code = %s",
}


def check_period(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequest("start and end need their UTC offset")
    if end <= start:
        raise BadRequest("end must be after start")


def scope_kind(conn: Connection, *, scope: str, scope_id: str, kind: str | None) -> str:
    """The kind of energy asked for (a meter's own); 404 for an unknown scope or id."""
    if scope not in SCOPES:
        raise BadRequest(f"scope is one of {', '.join(SCOPES)}")
    row = conn.execute(EXISTS[scope], [scope_id]).fetchone()
    if row is None:
        raise NotFound(f"no {scope} {scope_id!r}")
    chosen = row[0] or kind or "electricity"
    if chosen not in UNITS:
        raise BadRequest(f"kind is one of {', '.join(UNITS)}")
    return str(chosen)


def series(conn: Connection, *, scope: str, scope_id: str, interval: str, start: datetime,
           end: datetime, kind: str | None = None) -> dict[str, Any]:
    if interval not in INTERVALS:
        raise BadRequest(f"interval is one of {', '.join(INTERVALS)}")
    check_period(start, end)
    kind = scope_kind(conn, scope=scope, scope_id=scope_id, kind=kind)
    params = {"scope": scope, "id": scope_id, "kind": kind, "grain": interval,
              "start": start, "end": end}
    from_slots = interval == "15min" or (interval == "hour" and scope == "meter")
    rows = conn.execute(FROM_SLOTS[interval] if from_slots else FROM_ROLLUP, params).fetchall()
    unit = next(iter(UNITS[kind]))
    return {f"{scope}_id": scope_id, "scope": scope, "kind": kind, "interval": interval,
            "unit": unit, "points": [{"ts": ts.astimezone(ZONE), "value": v, "quality": q}
                                     for ts, v, q in rows]}


RANKING = """
SELECT r.scope_id, sum(r.value) AS value FROM energy_rollup r
WHERE r.scope = %(scope)s AND r.kind = %(kind)s AND r.grain = 'day'
  AND r.ts >= %(start)s AND r.ts < %(end)s
  AND (%(park)s::text IS NULL OR r.scope_id IN (
        SELECT id::text FROM enterprise WHERE park_code = %(park)s
        UNION ALL SELECT eb.building_id::text FROM enterprise_building eb
        JOIN enterprise e ON e.id = eb.enterprise_id WHERE e.park_code = %(park)s))
GROUP BY r.scope_id ORDER BY value DESC LIMIT %(limit)s
"""


def ranking(conn: Connection, *, scope: str, start: datetime, end: datetime,
            kind: str = "electricity", park_code: str | None = None, limit: int = 20
            ) -> list[dict[str, Any]]:
    """Enterprises or buildings by consumption over [start, end), largest first."""
    if scope not in ("enterprise", "building"):
        raise BadRequest("rankings are of enterprises or buildings")
    check_period(start, end)
    rows = conn.execute(RANKING, {"scope": scope, "kind": kind, "start": start, "end": end,
                                  "park": park_code, "limit": limit}).fetchall()
    return [{"rank": n, "id": sid, "value": v} for n, (sid, v) in enumerate(rows, 1)]
