"""LoD1 export of the fused buildings as CityJSON 2.0 (extruded footprints in EPSG:4549).

Each building is a Solid (a MultiSolid when its footprint has several parts) from its ground
level to ground + height, with floor, roof and one wall per ring edge, faces oriented outwards
as CityJSON requires. Buildings without a height are left out (and counted in the metadata).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from psycopg import Connection

SCALE = 0.001
CRS_URI = "https://www.opengis.net/def/crs/EPSG/0/4549"


@dataclass(frozen=True)
class Block:
    id: int
    footprint: shapely.Geometry  # (Multi)Polygon in EPSG:4549
    ground: float
    height: float
    attributes: dict[str, Any]


class _Vertices:
    """Integer vertices after the CityJSON transform, shared between faces."""

    def __init__(self, translate: Sequence[float]) -> None:
        self.translate = translate
        self.index: dict[tuple[int, int, int], int] = {}

    def add(self, x: float, y: float, z: float) -> int:
        key = tuple(round((v - t) / SCALE) for v, t in zip((x, y, z), self.translate,
                                                             strict=True))
        return self.index.setdefault(key, len(self.index))  # type: ignore[arg-type]

    def as_list(self) -> list[list[int]]:
        return [list(v) for v in self.index]


def _rings(poly: shapely.Polygon) -> list[list[tuple[float, float]]]:
    oriented = shapely.geometry.polygon.orient(poly, 1.0)
    rings = [oriented.exterior, *oriented.interiors]
    return [list(r.coords)[:-1] for r in rings]


def _solid(poly: shapely.Polygon, z0: float, z1: float, vx: _Vertices) -> list[Any]:
    rings = _rings(poly)
    floor = [[vx.add(x, y, z0) for x, y in reversed(ring)] for ring in rings]
    roof = [[vx.add(x, y, z1) for x, y in ring] for ring in rings]
    walls = []
    for ring in rings:
        for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True):
            walls.append([[vx.add(ax, ay, z0), vx.add(bx, by, z0), vx.add(bx, by, z1),
                           vx.add(ax, ay, z1)]])
    return [[floor, roof, *walls]]


def cityjson(blocks: Sequence[Block], *, skipped: int = 0) -> dict[str, Any]:
    """A CityJSON 2.0 document of LoD1.2 blocks."""
    if blocks:
        minx, miny, maxx, maxy = shapely.total_bounds([b.footprint for b in blocks])
        minz = min(b.ground for b in blocks)
        maxz = max(b.ground + b.height for b in blocks)
    else:
        minx = miny = maxx = maxy = minz = maxz = 0.0
    vx = _Vertices((minx, miny, minz))
    objects: dict[str, Any] = {}
    for b in blocks:
        parts = list(shapely.get_parts(b.footprint))
        solids = [_solid(p, b.ground, b.ground + b.height, vx) for p in parts]
        geometry = ({"type": "Solid", "lod": "1.2", "boundaries": solids[0]} if len(solids) == 1
                    else {"type": "MultiSolid", "lod": "1.2", "boundaries": solids})
        objects[f"building-{b.id}"] = {"type": "Building", "attributes": b.attributes,
                                       "geometry": [geometry]}
    return {
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": [SCALE] * 3, "translate": [minx, miny, minz]},
        "metadata": {"referenceSystem": CRS_URI,
                     "geographicalExtent": [minx, miny, minz, maxx, maxy, maxz],
                     "title": "dizhi LoD1.2 buildings", "buildingsWithoutHeight": skipped},
        "CityObjects": objects, "vertices": vx.as_list(),
    }


_SELECT = """
SELECT id, ST_AsBinary(ST_Transform(geom, 4549)), coalesce(ground_m, 0), height_m, floors,
       height_source, match_kind, sources, attributes ->> 'use'
FROM building
WHERE (%(bbox)s::float8[] IS NULL
       OR geom && ST_MakeEnvelope(%(bbox)s[1], %(bbox)s[2], %(bbox)s[3], %(bbox)s[4], 4326))
ORDER BY id LIMIT %(limit)s
"""


def export_lod1(conn: Connection, *, bbox: Sequence[float] | None = None,
                limit: int = 100_000) -> dict[str, Any]:
    """The buildings in ``bbox`` (lng/lat: west, south, east, north) as CityJSON."""
    rows = conn.execute(_SELECT, {"bbox": list(bbox) if bbox else None, "limit": limit})
    blocks, skipped = [], 0
    for bid, wkb, ground, height, floors, source, kind, sources, use in rows:
        if height is None or height <= 0:
            skipped += 1
            continue
        attrs = {"height_m": height, "ground_m": ground, "floors": floors,
                 "height_source": source, "match_kind": kind, "sources": sources, "use": use}
        blocks.append(Block(bid, shapely.from_wkb(bytes(wkb)), float(ground), float(height),
                            attrs))
    return cityjson(blocks, skipped=skipped)
