"""The admin chain of a point: the district, town, community and grid areas that cover it.

The one point-in-admin-area look-up: the register (an address's codes), reverse geocoding, the
hotline's routing and the admin-area API all call :func:`admin_chain_at`.
"""

from dataclasses import dataclass

from psycopg import Connection

ADMIN_LEVELS = ("district", "town", "community", "grid")

_CHAIN = """
SELECT code, name, level, parent_code, synthetic, source FROM admin_area
WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326))
ORDER BY array_position(ARRAY['district', 'town', 'community', 'grid'], level::text), code
"""


@dataclass(frozen=True)
class AdminUnit:
    code: str
    name: str
    level: str  # district | town | community | grid
    parent_code: str | None
    synthetic: bool
    source: str


def admin_chain_at(conn: Connection, *, lng: float, lat: float) -> list[AdminUnit]:
    """Every area covering a WGS84 point, district first (on a shared boundary a level may
    appear twice, ordered by code); [] outside every area."""
    rows = conn.execute(_CHAIN, {"x": lng, "y": lat}).fetchall()
    return [AdminUnit(*row) for row in rows]


def admin_codes_at(conn: Connection, *, lng: float, lat: float) -> dict[str, str]:
    """District, town, community and grid codes covering a WGS84 point (only those found; on a
    shared boundary the highest code of a level)."""
    return {unit.level: unit.code for unit in admin_chain_at(conn, lng=lng, lat=lat)}


# Many points at once: the points go into an indexed temporary table and each area is tested
# against the points in its box, so PostGIS prepares each area's polygon once (against a
# thousand-vertex district boundary a per-point test costs far more than the join).
_POINTS = """
CREATE TEMP TABLE IF NOT EXISTS admin_point (key int, geom geometry(Point, 4326))
    ON COMMIT DROP;
CREATE INDEX IF NOT EXISTS admin_point_geom ON admin_point USING gist (geom);
TRUNCATE admin_point
"""

_POINTS_CHAIN = """
SELECT p.key, a.level, max(a.code) FROM admin_area a
JOIN admin_point p ON ST_Intersects(a.geom, p.geom)
GROUP BY p.key, a.level
"""


def admin_codes_of_points(conn: Connection, points: dict[int, tuple[float, float]]
                          ) -> dict[int, dict[str, str]]:
    """:func:`admin_codes_at` for many points at once (key → WGS84 lng, lat), inside the
    caller's transaction; a key outside every area is left out."""
    conn.execute(_POINTS)
    keys = list(points)
    conn.execute("""INSERT INTO admin_point SELECT k, ST_SetSRID(ST_MakePoint(x, y), 4326)
                    FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS t(k, x, y)""",
                 [keys, [points[k][0] for k in keys], [points[k][1] for k in keys]])
    conn.execute("ANALYZE admin_point")
    found: dict[int, dict[str, str]] = {}
    for key, level, code in conn.execute(_POINTS_CHAIN).fetchall():
        found.setdefault(int(key), {})[str(level)] = str(code)
    return found
