"""What the planners' map shows of a park: its parks, and each building its enterprises occupy
coloured by consumption or intensity (kWh per m² of floor area: footprint × floors) for a
period, from the day roll-ups (one query)."""

from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from layers.energy.series import check_period

PARKS = """
SELECT p.code, p.name, p.synthetic,
       CASE WHEN p.geom IS NULL THEN NULL ELSE
         json_build_array(ST_XMin(p.geom), ST_YMin(p.geom), ST_XMax(p.geom), ST_YMax(p.geom))
       END AS bbox,
       (SELECT min(ts) FROM energy_rollup WHERE scope = 'park' AND scope_id = p.code
          AND grain = 'month') AS first_month,
       (SELECT max(ts) FROM energy_rollup WHERE scope = 'park' AND scope_id = p.code
          AND grain = 'month') AS last_month
FROM park p ORDER BY p.code
"""
BUILDINGS = """
SELECT coalesce(json_agg(json_build_object(
  'type', 'Feature', 'id', b.id, 'geometry', ST_AsGeoJSON(b.geom, 7)::json,
  'properties', json_build_object(
    'building_id', b.id, 'kwh', u.kwh, 'floor_area_m2', round(a.area::numeric, 1),
    'kwh_per_m2', u.kwh / nullif(a.area, 0), 'enterprises', e.list)) ORDER BY b.id), '[]')
FROM (SELECT eb.building_id, json_agg(json_build_object('id', en.id, 'name', en.name,
        'floor_share', eb.floor_share) ORDER BY en.id) AS list
      FROM enterprise_building eb JOIN enterprise en ON en.id = eb.enterprise_id
      WHERE en.park_code = %(park)s GROUP BY eb.building_id) e
JOIN building b ON b.id = e.building_id
CROSS JOIN LATERAL (SELECT ST_Area(b.geom::geography) * coalesce(nullif(b.floors, 0), 1)
                    AS area) a
LEFT JOIN LATERAL (SELECT sum(r.value) AS kwh FROM energy_rollup r
  WHERE r.scope = 'building' AND r.scope_id = b.id::text AND r.kind = %(kind)s
    AND r.grain = 'day' AND r.ts >= %(start)s AND r.ts < %(end)s) u ON true
"""


def list_parks(conn: Connection) -> list[dict[str, Any]]:
    """Every park with its bounding box and the months its roll-ups cover."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(PARKS).fetchall()


def park_buildings(conn: Connection, *, park_code: str, start: datetime, end: datetime,
                   kind: str = "electricity") -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the park's occupied buildings: consumption in
    [start, end) (``kwh``, the kind's base unit), floor area, intensity and enterprises."""
    check_period(start, end)
    row = conn.execute(BUILDINGS, {"park": park_code, "kind": kind, "start": start,
                                   "end": end}).fetchone()
    features = row[0] if row else []
    values = [f["properties"]["kwh"] for f in features if f["properties"]["kwh"] is not None]
    return {"type": "FeatureCollection", "features": features,
            "park_code": park_code, "kind": kind, "start": start.isoformat(),
            "end": end.isoformat(), "max_kwh": max(values, default=None)}
