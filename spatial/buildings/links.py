"""Address ↔ building links: point in polygon first, the nearest building within a distance next.

Many addresses may share a building. An address inside two overlapping buildings links to the
smaller one and is reported as a conflict, as is one whose nearest buildings are equally far;
addresses with no building in reach stay unlinked and are counted.
"""

from typing import Any

from psycopg import Connection

from address.transactions import require_transaction

MAX_DISTANCE_M = 50.0

_INSIDE = """
INSERT INTO building_address (address_code, building_id, method, distance_m, candidates)
SELECT a.code, c.id, 'inside', 0, c.n
FROM address a
CROSS JOIN LATERAL (
    SELECT b.id, count(*) OVER () AS n FROM building b
    WHERE ST_Intersects(b.geom, a.point) ORDER BY ST_Area(b.geom), b.id LIMIT 1) c
WHERE a.valid_to IS NULL AND a.point IS NOT NULL
ON CONFLICT (address_code) DO UPDATE SET building_id = EXCLUDED.building_id,
    method = EXCLUDED.method, distance_m = 0, candidates = EXCLUDED.candidates
"""

_NEAREST = """
INSERT INTO building_address (address_code, building_id, method, distance_m, candidates)
SELECT a.code, c.ids[1], 'nearest', c.ds[1],
       (SELECT count(*) FROM unnest(c.ds) AS x WHERE x - c.ds[1] < 0.5)
FROM address a
CROSS JOIN LATERAL (
    SELECT array_agg(k.id ORDER BY k.d, k.id) AS ids, array_agg(k.d ORDER BY k.d, k.id) AS ds
    FROM (SELECT b.id, ST_Distance(b.geom::geography, a.point::geography) AS d
          FROM building b ORDER BY b.geom <-> a.point LIMIT 5) k) c
WHERE a.valid_to IS NULL AND a.point IS NOT NULL AND c.ds[1] <= %(max_m)s
  AND NOT EXISTS (SELECT 1 FROM building_address l WHERE l.address_code = a.code)
ON CONFLICT (address_code) DO NOTHING
"""

_SET_ADDRESS = """
UPDATE address a SET building_id = l.building_id FROM building_address l
WHERE l.address_code = a.code AND a.valid_to IS NULL
  AND a.building_id IS DISTINCT FROM l.building_id
"""


def link_addresses(conn: Connection, *, max_distance_m: float = MAX_DISTANCE_M
                   ) -> dict[str, int]:
    """Recompute every link; returns counts (linked, inside, nearest, unlinked, conflicts)."""
    require_transaction(conn, "link_addresses")
    conn.execute("DELETE FROM building_address")
    conn.execute(_INSIDE)
    conn.execute(_NEAREST, {"max_m": max_distance_m})
    conn.execute("UPDATE address SET building_id = NULL WHERE valid_to IS NULL AND"
                 " building_id IS NOT NULL AND code NOT IN"
                 " (SELECT address_code FROM building_address)")
    conn.execute(_SET_ADDRESS)
    row = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE method = 'inside'),"
        " count(*) FILTER (WHERE method = 'nearest'), count(*) FILTER (WHERE candidates > 1),"
        " (SELECT count(*) FROM address WHERE valid_to IS NULL AND point IS NOT NULL)"
        " FROM building_address").fetchone()
    assert row is not None
    return {"linked": row[0], "inside": row[1], "nearest": row[2], "conflicts": row[3],
            "unlinked": row[4] - row[0]}


def link_conflicts(conn: Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    """Addresses whose building is ambiguous (overlapping buildings or equally near ones)."""
    rows = conn.execute(
        "SELECT l.address_code, a.canonical, l.building_id, l.method, l.distance_m, l.candidates"
        " FROM building_address l JOIN address a ON a.code = l.address_code AND a.valid_to IS NULL"
        " WHERE l.candidates > 1 ORDER BY l.address_code LIMIT %s", [limit]).fetchall()
    keys = ("address_code", "address", "building_id", "method", "distance_m", "candidates")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def building_addresses(conn: Connection, *, building_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT l.address_code, a.canonical, l.method, round(l.distance_m::numeric, 1)::float,"
        " ST_X(a.point), ST_Y(a.point) FROM building_address l"
        " JOIN address a ON a.code = l.address_code AND a.valid_to IS NULL"
        " WHERE l.building_id = %s ORDER BY l.address_code", [building_id]).fetchall()
    keys = ("code", "address", "method", "distance_m", "lng", "lat")
    return [dict(zip(keys, r, strict=True)) for r in rows]
