"""Hot spots: repeat complaints at one standard address or building, and spatial clusters.

Repeats group the tickets of a time window by the building their address is linked to, else by
the address code. Clusters are DBSCAN (``ST_ClusterDBSCAN``) on the ticket points projected to
EPSG:4549, so ``eps_m`` is in metres. Only tickets placed precisely enough take part (a door,
building, POI or village from the text, or the caller's GPS): a town-level answer sits on the
town's representative point and would make a cluster of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest
from layers.hotline.routing import PRECISE_LEVELS


@dataclass(frozen=True)
class Window:
    """Tickets requested in [end - days, end), optionally of one category and town."""

    days: float = 30.0
    end: datetime | None = None
    service_code: str | None = None
    town_code: str | None = None

    def params(self) -> dict[str, Any]:
        if not 0 < self.days <= 3660:
            raise BadRequest("the window is 0 < days <= 3660")
        end = self.end or datetime.now(UTC)
        return {"start": end - timedelta(days=self.days), "end": end,
                "service": self.service_code, "town": self.town_code,
                "levels": list(PRECISE_LEVELS)}


_IN_WINDOW = """t.requested_at >= %(start)s AND t.requested_at < %(end)s
    AND (%(service)s::text IS NULL OR t.service_code = %(service)s)
    AND (%(town)s::text IS NULL OR t.town_code = %(town)s)"""

_REPEATS = f"""
SELECT CASE WHEN a.building_id IS NULL THEN 'address' ELSE 'building' END AS kind,
       coalesce(a.building_id::text, t.address_code) AS key,
       min(t.formatted_address) AS formatted_address, count(*) AS count,
       array_agg(t.id ORDER BY t.requested_at) AS ticket_ids,
       array_agg(DISTINCT t.service_code) AS service_codes,
       min(t.requested_at) AS first_at, max(t.requested_at) AS last_at,
       ST_X(ST_Centroid(ST_Collect(t.point))) AS lng, ST_Y(ST_Centroid(ST_Collect(t.point))) AS lat
FROM ticket t
LEFT JOIN address a ON a.code = t.address_code AND a.valid_to IS NULL
WHERE t.address_code IS NOT NULL AND {_IN_WINDOW}
GROUP BY 1, 2 HAVING count(*) >= %(min_count)s
ORDER BY count(*) DESC, max(t.requested_at) DESC LIMIT %(limit)s
"""

_CLUSTERS = f"""
WITH placed AS (
    SELECT t.id, t.service_code, t.point,
           ST_ClusterDBSCAN(ST_Transform(t.point, 4549), eps => %(eps)s,
                            minpoints => %(min_points)s) OVER () AS cluster
    FROM ticket t
    WHERE t.point IS NOT NULL AND (t.location_source = 'gps' OR t.level = ANY(%(levels)s))
      AND {_IN_WINDOW})
SELECT cluster, count(*) AS count, array_agg(id ORDER BY id) AS ticket_ids,
       mode() WITHIN GROUP (ORDER BY service_code) AS top_service_code,
       ST_AsGeoJSON(ST_Centroid(ST_Collect(point)), 7)::json AS centroid,
       ST_AsGeoJSON(ST_ConvexHull(ST_Collect(point)), 7)::json AS hull,
       round(sqrt(ST_Area(ST_ConvexHull(ST_Collect(ST_Transform(point, 4549))))))::int
           AS extent_m
FROM placed WHERE cluster IS NOT NULL
GROUP BY cluster ORDER BY count(*) DESC LIMIT %(limit)s
"""


def repeats(conn: Connection, *, window: Window, min_count: int = 2,
            limit: int = 100) -> list[dict[str, Any]]:
    """Addresses/buildings with at least ``min_count`` tickets in the window, most first."""
    if min_count < 2:
        raise BadRequest("min_count is at least 2")
    params = {**window.params(), "min_count": min_count, "limit": limit}
    with conn.cursor(row_factory=dict_row) as cur:
        return [dict(r) for r in cur.execute(_REPEATS, params).fetchall()]


def clusters(conn: Connection, *, window: Window, eps_m: float = 200.0, min_points: int = 3,
             limit: int = 100) -> dict[str, Any]:
    """DBSCAN clusters of ticket points as a GeoJSON FeatureCollection (centroid points; the
    convex hull and member ids in the properties)."""
    if not 1 <= eps_m <= 5000 or not 2 <= min_points <= 1000:
        raise BadRequest("eps_m is 1–5000 metres and min_points 2–1000")
    params = {**window.params(), "eps": eps_m, "min_points": min_points, "limit": limit}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_CLUSTERS, params).fetchall()
    features = [{"type": "Feature", "id": i + 1, "geometry": r["centroid"],
                 "properties": {"count": r["count"], "ticket_ids": r["ticket_ids"],
                                "top_service_code": r["top_service_code"],
                                "extent_m": r["extent_m"], "hull": r["hull"]}}
                for i, r in enumerate(rows)]
    return {"type": "FeatureCollection", "features": features,
            "parameters": {"eps_m": eps_m, "min_points": min_points,
                           "start": params["start"].isoformat(),
                           "end": params["end"].isoformat()}}


_POINTS = f"""
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
    json_build_object('type', 'Feature', 'id', t.id,
        'geometry', ST_AsGeoJSON(t.point, 7)::json,
        'properties', json_build_object('service_code', t.service_code, 'status', t.status,
            'towncode', t.town_code, 'town_code', t.town_code, 'level', t.level, 'weight', 1,
            'requested_at', t.requested_at)) ORDER BY t.id), '[]'::json))
FROM ticket t WHERE t.point IS NOT NULL
  AND (t.location_source = 'gps' OR t.level = ANY(%(levels)s)) AND {_IN_WINDOW}
"""


def ticket_points(conn: Connection, *, window: Window) -> dict[str, Any]:
    """Ticket points as GeoJSON for a heat map (no text, no personal data)."""
    row = conn.execute(_POINTS, window.params()).fetchone()
    assert row is not None
    result: dict[str, Any] = row[0]
    return result


MIN_CELL_COUNT = 3  # a cell with fewer tickets could point at one caller: never shown
_CELLS = f"""
WITH placed AS (
    SELECT floor(ST_X(p) / %(size)s)::bigint AS i, floor(ST_Y(p) / %(size)s)::bigint AS j
    FROM (SELECT ST_Transform(t.point, 4549) AS p FROM ticket t
          WHERE t.point IS NOT NULL AND {_IN_WINDOW}) s)
SELECT i, j, count(*) AS count,
       ST_AsGeoJSON(ST_Transform(ST_MakeEnvelope(i * %(size)s, j * %(size)s, (i + 1) * %(size)s,
                                                 (j + 1) * %(size)s, 4549), 4326), 7)::json AS geom
FROM placed GROUP BY i, j HAVING count(*) >= %(min_count)s ORDER BY count(*) DESC, i, j
"""


def cells(conn: Connection, *, window: Window, size_m: float = 500.0,
          min_count: int = MIN_CELL_COUNT) -> dict[str, Any]:
    """Ticket counts in square cells of ``size_m`` (EPSG:4549) as GeoJSON polygons, for anyone:
    no text, no point, and cells of fewer than MIN_CELL_COUNT tickets left out."""
    if not 100 <= size_m <= 10000:
        raise BadRequest("size_m is 100–10000 metres")
    params = {**window.params(), "size": size_m, "min_count": max(min_count, MIN_CELL_COUNT)}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_CELLS, params).fetchall()
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": f"{r['i']}_{r['j']}", "geometry": r["geom"],
                          "properties": {"count": r["count"]}} for r in rows],
            "parameters": {"size_m": size_m, "min_count": params["min_count"]}}
