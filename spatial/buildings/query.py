"""Reading the fused buildings: pages, one building (tiles come from ``tiles.mvt``)."""

from collections.abc import Sequence
from typing import Any

from psycopg import Connection

from address.errors import NotFound

_COLUMNS = ("id", "match_kind", "unmatched", "sources", "floors", "height_m", "ground_m",
            "height_source", "area_m2", "use")
_SELECT = """
SELECT id, match_kind, unmatched, sources, floors, height_m, ground_m, height_source,
       round(ST_Area(geom::geography)::numeric, 1)::float, attributes ->> 'use'
"""
_FILTER = """
FROM building
WHERE (%(bbox)s::float8[] IS NULL
       OR geom && ST_MakeEnvelope(%(bbox)s[1], %(bbox)s[2], %(bbox)s[3], %(bbox)s[4], 4326))
  AND (%(kind)s::text IS NULL OR match_kind = %(kind)s)
"""


def list_buildings(conn: Connection, *, bbox: Sequence[float] | None = None,
                   match_kind: str | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    params = {"bbox": list(bbox) if bbox else None, "kind": match_kind, "limit": limit,
              "offset": offset}
    total = conn.execute("SELECT count(*)" + _FILTER, params).fetchone()
    rows = conn.execute(_SELECT + _FILTER + " ORDER BY id LIMIT %(limit)s OFFSET %(offset)s",
                        params).fetchall()
    return (int(total[0]) if total else 0), [dict(zip(_COLUMNS, r, strict=True)) for r in rows]


def get_building(conn: Connection, *, building_id: int) -> dict[str, Any]:
    row = conn.execute(
        _SELECT + ", attributes, quality, updated_at, ST_AsGeoJSON(geom, 7)::json"
        " FROM building WHERE id = %s", [building_id]).fetchone()
    if row is None:
        raise NotFound(f"no building {building_id}")
    item = dict(zip(_COLUMNS, row, strict=False))
    item.update(attributes=row[10], quality=row[11], updated_at=row[12], geometry=row[13])
    return item

