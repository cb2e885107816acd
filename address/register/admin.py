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
