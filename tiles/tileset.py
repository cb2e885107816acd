"""3D Tiles 1.1: a quadtree over the buildings' centres, one GLB (``tiles.glb``) per leaf.

Content URIs carry a tag of the buildings version (``tiles/{tag}/{name}.glb``). A node splits
while it holds more than ``MAX_PER_TILE`` buildings (down to ``MAX_DEPTH``). Inner
nodes have no content and a geometric error of their diagonal in metres, so CesiumJS refines
down to the leaves as soon as a node is in view; leaves have error 0. Each leaf's transform is
the east-north-up frame at its centre; bounding volumes are regions (radians, metres).
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from spatial.buildings.lod1 import Block
from spatial.coords import transformer
from tiles.glb import Feature, glb

MAX_PER_TILE = 1500
MAX_DEPTH = 10
_A, _E2 = 6378137.0, 6.69438002290e-3  # GRS80 / WGS84 (CGCS2000 taken as equal)


@dataclass
class Tileset:
    """The tileset document and each leaf's GLB, by content URI."""

    document: dict[str, Any]
    contents: dict[str, bytes] = field(default_factory=dict)

    @property
    def json_bytes(self) -> bytes:
        return json.dumps(self.document, separators=(",", ":")).encode()


def _ecef(lng: NDArray[np.float64], lat: NDArray[np.float64], h: NDArray[np.float64]
          ) -> NDArray[np.float64]:
    lam, phi = np.radians(lng), np.radians(lat)
    n = _A / np.sqrt(1 - _E2 * np.sin(phi) ** 2)
    return np.stack([(n + h) * np.cos(phi) * np.cos(lam), (n + h) * np.cos(phi) * np.sin(lam),
                     (n * (1 - _E2) + h) * np.sin(phi)], axis=-1)


def _enu_frame(lng: float, lat: float) -> NDArray[np.float64]:
    """The 3×3 rotation whose rows are east, north, up at a point."""
    lam, phi = np.radians(lng), np.radians(lat)
    east = [-np.sin(lam), np.cos(lam), 0.0]
    north = [-np.sin(phi) * np.cos(lam), -np.sin(phi) * np.sin(lam), np.cos(phi)]
    up = [np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]
    return np.array([east, north, up])


def _transform(lng: float, lat: float) -> list[float]:
    """The column-major 4×4 from the local ENU frame to ECEF."""
    rot, origin = _enu_frame(lng, lat), _ecef(np.array(lng), np.array(lat), np.array(0.0))
    matrix = np.eye(4)
    matrix[:3, :3], matrix[:3, 3] = rot.T, origin
    return [float(v) for v in matrix.T.reshape(-1)]


def _address(block: Block) -> str:
    found = block.attributes.get("addresses") or []
    return str(found[0].get("formatted_address", found[0]["code"])) if found else ""


class _Vertices:
    """Every footprint ring vertex of the blocks (closing vertices dropped) in ECEF, computed in
    one pass; ``rings(i)`` gives block i's parts as (start, end) row ranges."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        parts = [p for b in blocks for p in b.parts]
        part_block = np.repeat(np.arange(len(blocks)), [len(b.parts) for b in blocks])
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        lengths = np.bincount(coord_ring, minlength=len(rings))
        ends = np.cumsum(lengths)
        keep = np.ones(len(coords), dtype=bool)
        keep[ends - 1] = False  # the closing vertex repeats the first
        coords = coords[keep]
        lng, lat = transformer(4549, 4326).transform(coords[:, 0], coords[:, 1])
        self.ecef = _ecef(np.asarray(lng), np.asarray(lat), np.zeros(len(coords)))
        self.ring_end = np.cumsum(lengths - 1)
        self.ring_part, self.part_block = ring_part, part_block
        self.block_rings = np.searchsorted(part_block[ring_part], np.arange(len(blocks) + 1))

    def parts(self, i: int, rot: NDArray[np.float64], origin: NDArray[np.float64]
              ) -> list[list[NDArray[np.float64]]]:
        """Block i's rings, per part, in metres east/north of ``origin``."""
        first, last = self.block_rings[i], self.block_rings[i + 1]
        start = self.ring_end[first - 1] if first else 0
        local = ((self.ecef[start:self.ring_end[last - 1]] - origin) @ rot.T)[:, :2]
        bounds = (self.ring_end[first:last] - start).tolist()
        grouped: dict[int, list[NDArray[np.float64]]] = {}
        for a, b, part in zip([0, *bounds[:-1]], bounds, self.ring_part[first:last].tolist(),
                              strict=True):
            grouped.setdefault(part, []).append(local[a:b])
        return list(grouped.values())


def _feature(block: Block, parts: list[list[NDArray[np.float64]]]) -> Feature:
    return Feature(block.id, parts, block.ground, block.ground + block.height,
                   str(block.attributes.get("height_source", "")),
                   block.attributes.get("floors"), _address(block))


def _region(lnglat: NDArray[np.float64], blocks: Sequence[Block], pad: float) -> list[float]:
    west, south = np.radians(lnglat.min(axis=0) - pad)
    east, north = np.radians(lnglat.max(axis=0) + pad)
    low = min(b.ground for b in blocks)
    high = max(b.ground + b.height for b in blocks)
    return [float(west), float(south), float(east), float(north), float(low), float(high)]


class _Builder:
    def __init__(self, blocks: Sequence[Block], centres: NDArray[np.float64], tag: str) -> None:
        self.blocks, self.centres, self.tag = blocks, centres, tag
        self.vertices = _Vertices(blocks)
        self.contents: dict[str, bytes] = {}
        # regions are of the centres, padded by ~200 m so whole footprints lie inside
        self.pad = 0.002

    def node(self, members: NDArray[np.intp], name: str, depth: int) -> dict[str, Any]:
        chosen = [self.blocks[i] for i in members]
        lnglat = self.centres[members]
        region = _region(lnglat, chosen, self.pad)
        if len(members) <= MAX_PER_TILE or depth >= MAX_DEPTH:
            return self.leaf(members, lnglat, name, region)
        mid = (lnglat.min(axis=0) + lnglat.max(axis=0)) / 2
        children = []
        for q, (east, north) in enumerate([(False, False), (True, False), (False, True),
                                           (True, True)]):
            mask = ((lnglat[:, 0] >= mid[0]) == east) & ((lnglat[:, 1] >= mid[1]) == north)
            if mask.any():
                children.append(self.node(members[mask], f"{name}{q}", depth + 1))
        diagonal = float(np.hypot((region[2] - region[0]) * _A * np.cos(region[1]),
                                  (region[3] - region[1]) * _A))
        return {"boundingVolume": {"region": region}, "geometricError": diagonal,
                "refine": "ADD", "children": children}

    def leaf(self, members: NDArray[np.intp], lnglat: NDArray[np.float64], name: str,
             region: list[float]) -> dict[str, Any]:
        lng0, lat0 = (float(v) for v in lnglat.mean(axis=0))
        rot, origin = _enu_frame(lng0, lat0), _ecef(np.array(lng0), np.array(lat0), np.array(0.0))
        uri = f"tiles/{self.tag}/{name}.glb"
        self.contents[uri] = glb([_feature(self.blocks[i], self.vertices.parts(i, rot, origin))
                                  for i in members])
        return {"boundingVolume": {"region": region}, "geometricError": 0.0, "refine": "ADD",
                "transform": _transform(lng0, lat0), "content": {"uri": uri}}


def build_tileset(blocks: Sequence[Block], *, version: str = "") -> Tileset:
    """The tileset of these blocks (EPSG:4549 footprints)."""
    if not blocks:
        return Tileset({"asset": {"version": "1.1"}, "geometricError": 0.0, "root": {
            "boundingVolume": {"region": [0, 0, 0, 0, 0, 0]}, "geometricError": 0.0}})
    xy = shapely.get_coordinates(shapely.centroid([b.parts[0] for b in blocks]))
    centres = np.column_stack(transformer(4549, 4326).transform(xy[:, 0], xy[:, 1]))
    # contents are named by the version: a URI always means the same bytes (cacheable forever)
    tag = hashlib.blake2b(version.encode(), digest_size=6).hexdigest()
    builder = _Builder(blocks, centres, tag)
    root = builder.node(np.arange(len(blocks)), "r", 0)
    error = max(float(root["geometricError"]), 1000.0)
    document = {"asset": {"version": "1.1", "generator": "dizhi", "tilesetVersion": version},
                "geometricError": error, "root": {**root, "geometricError": error}}
    return Tileset(document, builder.contents)
