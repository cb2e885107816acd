"""LoD1.2 blocks as CityJSON 2.0 documents and CityJSONSeq features (EPSG:4549).

Each building is a ``Building`` with one ``Solid`` (its largest footprint part extruded from
ground to ground + height) and one ``BuildingPart`` child per further part, so a multipolygon
footprint never becomes a MultiSolid (which a Building may not carry). Every face carries its
semantic surface (GroundSurface, RoofSurface, WallSurface); faces are oriented outwards.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import shapely

SCALE = 0.001
CRS_URI = "https://www.opengis.net/def/crs/EPSG/0/4549"
SURFACES = [{"type": "GroundSurface"}, {"type": "RoofSurface"}, {"type": "WallSurface"}]
GROUND, ROOF, WALL = 0, 1, 2


@dataclass(frozen=True)
class Block:
    id: int
    parts: tuple[shapely.Polygon, ...]  # largest first, EPSG:4549
    ground: float
    height: float
    attributes: dict[str, Any]

    @property
    def key(self) -> str:
        return f"building-{self.id}"


class _Vertices:
    """Integer vertices after the CityJSON transform, shared between faces."""

    def __init__(self, translate: Sequence[float]) -> None:
        self.translate = translate
        self.index: dict[tuple[int, int, int], int] = {}

    def add(self, x: float, y: float, z: float) -> int:
        tx, ty, tz = self.translate
        key = (round((x - tx) / SCALE), round((y - ty) / SCALE), round((z - tz) / SCALE))
        return self.index.setdefault(key, len(self.index))

    def as_list(self) -> list[list[int]]:
        return [list(v) for v in self.index]


def _rings(poly: shapely.Polygon) -> list[list[tuple[float, float]]]:
    oriented = shapely.geometry.polygon.orient(poly, 1.0)
    rings = [oriented.exterior, *oriented.interiors]
    return [[(x, y) for x, y, *_ in r.coords][:-1] for r in rings]


def _solid(poly: shapely.Polygon, z0: float, z1: float, vx: _Vertices) -> dict[str, Any]:
    """One LoD1.2 Solid geometry with its semantics."""
    rings = _rings(poly)
    floor = [[vx.add(x, y, z0) for x, y in reversed(ring)] for ring in rings]
    roof = [[vx.add(x, y, z1) for x, y in ring] for ring in rings]
    walls = [[[vx.add(ax, ay, z0), vx.add(bx, by, z0), vx.add(bx, by, z1), vx.add(ax, ay, z1)]]
             for ring in rings
             for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True)]
    return {"type": "Solid", "lod": "1.2", "boundaries": [[floor, roof, *walls]],
            "semantics": {"surfaces": SURFACES,
                          "values": [[GROUND, ROOF] + [WALL] * len(walls)]}}


def city_objects(block: Block, vx: _Vertices) -> dict[str, Any]:
    """The Building and its BuildingParts, keyed by their ids."""
    z0, z1 = block.ground, block.ground + block.height
    first, *rest = block.parts
    part_ids = [f"{block.key}-part-{i}" for i in range(1, len(rest) + 1)]
    building: dict[str, Any] = {"type": "Building", "attributes": block.attributes,
                                "geometry": [_solid(first, z0, z1, vx)]}
    if part_ids:
        building["children"] = part_ids
    objects = {block.key: building}
    for pid, part in zip(part_ids, rest, strict=True):
        objects[pid] = {"type": "BuildingPart", "parents": [block.key],
                        "geometry": [_solid(part, z0, z1, vx)]}
    return objects


def extent(blocks: Sequence[Block]) -> list[float]:
    """minx, miny, minz, maxx, maxy, maxz (zeros when there are no blocks)."""
    if not blocks:
        return [0.0] * 6
    minx, miny, maxx, maxy = shapely.total_bounds([p for b in blocks for p in b.parts])
    return [float(minx), float(miny), min(b.ground for b in blocks),
            float(maxx), float(maxy), max(b.ground + b.height for b in blocks)]


def _header(box: list[float], metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": [SCALE] * 3, "translate": box[:3]},
        "metadata": {"referenceSystem": CRS_URI, "geographicalExtent": box,
                     "title": "dizhi LoD1.2 buildings", **metadata},
        "CityObjects": {}, "vertices": [],
    }


def cityjson(blocks: Sequence[Block], *, metadata: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """One CityJSON 2.0 document of LoD1.2 blocks."""
    doc = _header(extent(blocks), metadata or {})
    vx = _Vertices(doc["transform"]["translate"])
    for b in blocks:
        doc["CityObjects"].update(city_objects(b, vx))
    doc["vertices"] = vx.as_list()
    return doc


def cityjson_seq(blocks: Sequence[Block], *, metadata: dict[str, Any] | None = None
                 ) -> Iterator[dict[str, Any]]:
    """CityJSONSeq: the header (no objects), then one CityJSONFeature per building, each with
    its own vertices under the header's transform."""
    header = _header(extent(blocks), metadata or {})
    yield header
    for b in blocks:
        vx = _Vertices(header["transform"]["translate"])
        objects = city_objects(b, vx)
        yield {"type": "CityJSONFeature", "id": b.key, "CityObjects": objects,
               "vertices": vx.as_list()}
