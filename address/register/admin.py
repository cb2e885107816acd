"""The admin chain of a point: the district, town, community and grid areas that cover it.

The one point-in-admin-area look-up: the register (an address's codes), reverse geocoding, the
hotline's routing and the admin-area API all call :func:`admin_chain_at`; many points at once
go through :func:`admin_codes_of_points`, or :class:`AdminAreas` (the same test on the client,
for an import's every chunk).
"""

from dataclasses import dataclass
from typing import Any

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


class AdminAreas:
    """The admin areas held in memory, for :func:`admin_codes_of_points` answers without a query:
    a long import reads them once and looks up every chunk's points on the client. As in the
    query, the chunk's points are indexed and each area (prepared once) tested against those in
    its box, with the same predicate (GEOS ``intersects``: a point on an edge is inside).

    numpy and shapely are imported here, not with the module: reverse geocoding and the API
    start without them."""

    def __init__(self, levels: list[str], codes: list[str], geoms: list[bytes]) -> None:
        import shapely

        self._levels, self._codes = levels, codes
        self._geoms: Any = shapely.from_wkb(geoms)
        shapely.prepare(self._geoms)

    @classmethod
    def load(cls, conn: Connection) -> "AdminAreas":
        rows = conn.execute("SELECT level, code, ST_AsBinary(geom) FROM admin_area"
                            " WHERE geom IS NOT NULL ORDER BY code").fetchall()
        return cls([str(r[0]) for r in rows], [str(r[1]) for r in rows],
                   [bytes(r[2]) for r in rows])

    def codes_of_points(self, points: dict[int, tuple[float, float]]
                        ) -> dict[int, dict[str, str]]:
        """key → level → code (the highest code of a level on a shared boundary), as
        :func:`admin_codes_of_points`."""
        import numpy as np
        import shapely

        keys = list(points)
        if not keys or not self._codes:
            return {}
        located = shapely.points(np.array([points[k] for k in keys], dtype=float))
        areas, hits = shapely.STRtree(located).query(self._geoms, predicate="intersects")
        found: dict[int, dict[str, str]] = {}
        for area, hit in zip(areas.tolist(), hits.tolist(), strict=True):
            codes = found.setdefault(keys[hit], {})
            level, code = self._levels[area], self._codes[area]
            if code > codes.get(level, ""):
                codes[level] = code
        return found
