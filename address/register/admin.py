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


# The areas cut into pieces of at most 64 vertices: a point-in-polygon test per row then costs
# a small polygon's, not a district boundary's thousand vertices (for imports: many points).
_PIECES = """
CREATE TEMP TABLE IF NOT EXISTS admin_piece ON COMMIT DROP AS
    SELECT code, level, ST_Subdivide(geom, 64) AS geom FROM admin_area;
CREATE INDEX IF NOT EXISTS admin_piece_geom ON admin_piece USING gist (geom);
ANALYZE admin_piece
"""

_POINTS_CHAIN = """
SELECT t.i, p.level, max(p.code)
FROM unnest(%s::int[], %s::float8[], %s::float8[]) AS t(i, x, y)
JOIN admin_piece p ON ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326))
GROUP BY t.i, p.level
"""


def admin_codes_of_points(conn: Connection, points: dict[int, tuple[float, float]]
                          ) -> dict[int, dict[str, str]]:
    """:func:`admin_codes_at` for many points at once (key → WGS84 lng, lat), inside the
    caller's transaction; a key outside every area is left out."""
    conn.execute(_PIECES)
    keys = list(points)
    rows = conn.execute(_POINTS_CHAIN, [keys, [points[k][0] for k in keys],
                                        [points[k][1] for k in keys]]).fetchall()
    found: dict[int, dict[str, str]] = {}
    for key, level, code in rows:
        found.setdefault(int(key), {})[str(level)] = str(code)
    return found
