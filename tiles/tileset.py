"""3D Tiles 1.1: a quadtree over the buildings' centres, one GLB (``tiles.glb``) per leaf.

A node splits while it holds more than ``MAX_PER_TILE`` buildings (down to ``MAX_DEPTH``). Inner
nodes have no content and a geometric error of their diagonal in metres, so CesiumJS refines
down to the leaves as soon as a node is in view; leaves have error 0. Each leaf's transform is
the east-north-up frame at its centre; bounding volumes are regions (radians, metres).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer

from spatial.buildings.lod1 import Block
from tiles.glb import Feature, glb

MAX_PER_TILE = 1500
MAX_DEPTH = 10
_A, _E2 = 6378137.0, 6.69438002290e-3  # GRS80 / WGS84 (CGCS2000 taken as equal)
_TO_LNGLAT = Transformer.from_crs(4549, 4326, always_xy=True)


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


def _feature(block: Block, lng0: float, lat0: float) -> Feature:
    """The block's rings in metres east/north of the leaf centre (on the ellipsoid)."""
    rot, origin = _enu_frame(lng0, lat0), _ecef(np.array(lng0), np.array(lat0), np.array(0.0))
    parts = []
    for poly in block.parts:
        oriented = shapely.geometry.polygon.orient(poly, 1.0)
        rings = []
        for ring in (oriented.exterior, *oriented.interiors):
            xy = np.asarray(ring.coords)[:-1, :2]
            lng, lat = _TO_LNGLAT.transform(xy[:, 0], xy[:, 1])
            local = (_ecef(np.asarray(lng), np.asarray(lat), np.zeros(len(xy))) - origin) @ rot.T
            rings.append(local[:, :2].astype(np.float64))
        parts.append(rings)
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
    def __init__(self, blocks: Sequence[Block], centres: NDArray[np.float64]) -> None:
        self.blocks, self.centres = blocks, centres
        self.contents: dict[str, bytes] = {}
        # regions are of the centres, padded by ~200 m so whole footprints lie inside
        self.pad = 0.002

    def node(self, members: NDArray[np.intp], name: str, depth: int) -> dict[str, Any]:
        chosen = [self.blocks[i] for i in members]
        lnglat = self.centres[members]
        region = _region(lnglat, chosen, self.pad)
        if len(members) <= MAX_PER_TILE or depth >= MAX_DEPTH:
            return self.leaf(chosen, lnglat, name, region)
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

    def leaf(self, chosen: list[Block], lnglat: NDArray[np.float64], name: str,
             region: list[float]) -> dict[str, Any]:
        lng0, lat0 = (float(v) for v in lnglat.mean(axis=0))
        uri = f"tiles/{name}.glb"
        self.contents[uri] = glb([_feature(b, lng0, lat0) for b in chosen])
        return {"boundingVolume": {"region": region}, "geometricError": 0.0, "refine": "ADD",
                "transform": _transform(lng0, lat0), "content": {"uri": uri}}


def build_tileset(blocks: Sequence[Block], *, version: str = "") -> Tileset:
    """The tileset of these blocks (EPSG:4549 footprints)."""
    if not blocks:
        return Tileset({"asset": {"version": "1.1"}, "geometricError": 0.0, "root": {
            "boundingVolume": {"region": [0, 0, 0, 0, 0, 0]}, "geometricError": 0.0}})
    xy = np.array([b.parts[0].centroid.coords[0][:2] for b in blocks])
    centres = np.column_stack(_TO_LNGLAT.transform(xy[:, 0], xy[:, 1]))
    builder = _Builder(blocks, centres)
    root = builder.node(np.arange(len(blocks)), "r", 0)
    error = max(float(root["geometricError"]), 1000.0)
    document = {"asset": {"version": "1.1", "generator": "dizhi", "tilesetVersion": version},
                "geometricError": error, "root": {**root, "geometricError": error}}
    return Tileset(document, builder.contents)
