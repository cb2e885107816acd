"""What the 3D exports read: every fused building as an LoD1.2 block with its attributes and
addresses, a version that changes whenever buildings or their addresses change, and the
CityJSON / CityJSONSeq documents (``lod1``) of a bbox or a 街镇.

A building without a measured height is exported all the same, at the fallback height (floors ×
3 m, else 3 m — what the tiles extrude too) and flagged ``height_fallback``.
"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

import shapely
from psycopg import Connection

from spatial.buildings.lod1 import Block, cityjson, cityjson_seq

FLOOR_M = 3.0
HEIGHT_SQL = f"coalesce(b.height_m, b.floors * {FLOOR_M}, {FLOOR_M})"

_SELECT = f"""
SELECT b.id, ST_AsBinary(ST_Transform(b.geom, 4549)), coalesce(b.ground_m, 0), {HEIGHT_SQL},
       b.height_m IS NULL, b.height_m, b.floors, b.height_source, b.match_kind, b.sources,
       b.quality, b.attributes ->> 'use', b.updated_at,
       coalesce(a.addresses, '[]'::jsonb)
FROM building b
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
        'code', ad.code, 'formatted_address', ad.canonical, 'adcode', ad.district_code,
        'towncode', ad.town_code, 'community_code', ad.community_code,
        'grid_code', ad.grid_code)) ORDER BY ad.code) AS addresses
    FROM building_address l JOIN address ad ON ad.code = l.address_code AND ad.valid_to IS NULL
    WHERE l.building_id = b.id) a ON TRUE
WHERE (%(bbox)s::float8[] IS NULL
       OR b.geom && ST_MakeEnvelope(%(bbox)s[1], %(bbox)s[2], %(bbox)s[3], %(bbox)s[4], 4326))
  AND (%(town)s::text IS NULL OR EXISTS (
       SELECT 1 FROM admin_area t WHERE t.code = %(town)s
       AND ST_Intersects(t.geom, ST_PointOnSurface(b.geom))))
ORDER BY b.id LIMIT %(limit)s
"""

_VERSION = """
SELECT (SELECT count(*) || '.' || coalesce(max(updated_at)::text, '') || '.'
               || coalesce(max(id), 0) FROM building)
       || '.' || (SELECT count(*) || '.' || coalesce(sum(hashtext(l.address_code || ':'
               || l.building_id || ':' || ad.valid_from)), 0)
                  FROM building_address l
                  JOIN address ad ON ad.code = l.address_code AND ad.valid_to IS NULL)
"""


def buildings_version(conn: Connection) -> str:
    """Changes whenever a building is added, changed or removed, or a linked address moves or
    changes (a new version of an address, or its retirement)."""
    row = conn.execute(_VERSION).fetchone()
    assert row is not None
    return str(row[0])


def _attributes(row: Sequence[Any]) -> dict[str, Any]:
    (_, _, ground, height, fallback, measured, floors, source, kind, sources, quality, use,
     updated, addresses) = row
    attrs = {"height_m": round(float(height), 3), "measuredHeight": measured,
             "height_source": "fallback" if fallback else source, "height_fallback": fallback,
             "ground_m": float(ground), "floors": floors, "use": use, "quality": quality,
             "lineage": {"match_kind": kind, "sources": list(sources)},
             "updated_at": updated.isoformat(), "addresses": addresses}
    return {k: v for k, v in attrs.items() if v is not None}


def _block(row: Sequence[Any]) -> Block:
    parts = sorted(shapely.get_parts(shapely.from_wkb(bytes(row[1]))), key=lambda p: -p.area)
    return Block(int(row[0]), tuple(parts), float(row[2]), float(row[3]), _attributes(row))


def load_blocks(conn: Connection, *, bbox: Sequence[float] | None = None,
                towncode: str | None = None, limit: int = 1_000_000) -> list[Block]:
    """The buildings in ``bbox`` (lng/lat west, south, east, north) and/or a 街镇, by id."""
    rows = conn.execute(_SELECT, {"bbox": list(bbox) if bbox else None, "town": towncode,
                                  "limit": limit})
    return [_block(r) for r in rows]


def _metadata(blocks: Sequence[Block], version: str) -> dict[str, Any]:
    fallback = sum(1 for b in blocks if b.attributes["height_fallback"])
    return {"version": version, "buildings": len(blocks), "buildingsWithFallbackHeight": fallback}


def export_lod1(conn: Connection, *, bbox: Sequence[float] | None = None,
                towncode: str | None = None, limit: int = 1_000_000) -> dict[str, Any]:
    """The buildings as one CityJSON 2.0 document."""
    blocks = load_blocks(conn, bbox=bbox, towncode=towncode, limit=limit)
    return cityjson(blocks, metadata=_metadata(blocks, buildings_version(conn)))


def export_lod1_seq(conn: Connection, *, bbox: Sequence[float] | None = None,
                    towncode: str | None = None, limit: int = 1_000_000) -> Iterator[str]:
    """The buildings as CityJSONSeq lines (each ends with a newline)."""
    blocks = load_blocks(conn, bbox=bbox, towncode=towncode, limit=limit)
    metadata = _metadata(blocks, buildings_version(conn))
    for item in cityjson_seq(blocks, metadata=metadata):
        yield json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"
