"""Admin areas (区 → 街镇 → 居委/村委 → 网格): look-ups by code and by point."""

import json
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import Connection

from address.errors import NotFound
from address.register.admin import admin_chain_at


@dataclass(frozen=True)
class AdminArea:
    code: str
    name: str
    level: str
    parent_code: str | None
    synthetic: bool
    source: str
    geometry: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.geometry is None:
            del data["geometry"]
        return data


_COLUMNS = "code, name, level, parent_code, synthetic, source"


def _area(row: tuple[Any, ...]) -> AdminArea:
    geometry = json.loads(row[6]) if len(row) > 6 and row[6] is not None else None
    code, name, level, parent_code, synthetic, source = row[:6]
    return AdminArea(code, name, level, parent_code, synthetic, source, geometry=geometry)


def get_admin_area(conn: Connection, *, code: str, with_geometry: bool = False) -> AdminArea:
    geom = ", ST_AsGeoJSON(geom, 7)" if with_geometry else ""
    row = conn.execute(
        f"SELECT {_COLUMNS}{geom} FROM admin_area WHERE code = %s", [code]
    ).fetchone()
    if row is None:
        raise NotFound(f"no admin area with code {code!r}")
    return _area(row)


def admin_chain(conn: Connection, *, lng: float, lat: float) -> list[AdminArea]:
    """The areas covering a WGS84 point, district first; NotFound outside the district."""
    chain = [AdminArea(**asdict(unit)) for unit in admin_chain_at(conn, lng=lng, lat=lat)]
    if not chain:
        raise NotFound(f"the point {lng},{lat} is outside every admin area of the district")
    return chain


def list_admin_areas(
    conn: Connection, *, level: str | None = None, parent_code: str | None = None
) -> list[AdminArea]:
    rows = conn.execute(
        f"""SELECT {_COLUMNS} FROM admin_area
            WHERE (%(level)s::text IS NULL OR level = %(level)s)
              AND (%(parent)s::text IS NULL OR parent_code = %(parent)s)
            ORDER BY code""",
        {"level": level, "parent": parent_code},
    ).fetchall()
    return [_area(r) for r in rows]


def admin_areas_geojson(
    conn: Connection, *, level: str, within: str = "", simplify_m: float = 0.0
) -> dict[str, Any]:
    """A FeatureCollection of one level whose codes start with ``within`` (a district's adcode
    keeps its neighbours out), optionally simplified (metres, via EPSG:4549)."""
    row = conn.execute(
        """SELECT json_build_object('type', 'FeatureCollection', 'features',
                  coalesce(json_agg(json_build_object(
                      'type', 'Feature', 'id', code,
                      'properties', json_build_object('code', code, 'name', name, 'level', level,
                                                      'parent_code', parent_code,
                                                      'synthetic', synthetic),
                      'geometry', ST_AsGeoJSON(CASE WHEN %(tol)s > 0 THEN ST_Transform(
                          ST_SimplifyPreserveTopology(ST_Transform(geom, 4549), %(tol)s), 4326)
                          ELSE geom END, 6)::json) ORDER BY code), '[]'::json))
           FROM admin_area WHERE level = %(level)s AND code LIKE %(within)s""",
        {"level": level, "tol": simplify_m, "within": within.replace("%", "") + "%"},
    ).fetchone()
    assert row is not None
    result: dict[str, Any] = row[0]
    return result
