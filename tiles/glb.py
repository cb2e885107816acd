"""One 3D Tiles content file: LoD1 blocks as a binary glTF 2.0 (GLB) with per-building feature
ids (``EXT_mesh_features``) and a property table (``EXT_structural_metadata``: building id,
height, how it was obtained, floors, address).

Positions are metres in the tile's local east-north-up frame, written glTF y-up (x east, y up,
z south); the tile's transform places that frame on the globe. Roofs are triangulated with
earcut, walls are two triangles per footprint edge; floors are left out (never seen).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import mapbox_earcut
import numpy as np
import pygltflib
from numpy.typing import NDArray

FLOAT, UINT32 = pygltflib.FLOAT, pygltflib.UNSIGNED_INT
SCHEMA = {"id": "dizhi", "classes": {"building": {"name": "building", "properties": {
    "building_id": {"type": "SCALAR", "componentType": "UINT32", "required": True},
    "height_m": {"type": "SCALAR", "componentType": "FLOAT32", "required": True},
    "height_source": {"type": "STRING", "required": True},
    "floors": {"type": "SCALAR", "componentType": "INT16", "noData": -1},
    "address": {"type": "STRING", "required": True},
}}}}


@dataclass(frozen=True)
class Feature:
    """One building in local ENU metres: footprint rings (exterior first, per part)."""

    building_id: int
    parts: Sequence[Sequence[NDArray[np.float64]]]  # part → rings → (n, 2) east/north
    ground: float
    top: float
    height_source: str
    floors: int | None
    address: str


_QUAD = np.array([0, 1, 2, 0, 2, 3], dtype=np.uint32)


def _prism(rings: Sequence[NDArray[np.float64]], z0: float, z1: float
           ) -> tuple[NDArray[np.float64], NDArray[np.uint32]]:
    """Roof and walls of one footprint part: (vertices (n, 3) e/n/u, triangle indices)."""
    flat = np.concatenate(rings) if len(rings) > 1 else rings[0]
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    roof = mapbox_earcut.triangulate_float64(flat, ends).astype(np.uint32)
    n = len(flat)
    nxt = np.arange(1, n + 1)
    nxt[ends - 1] = np.concatenate([[0], ends[:-1]])  # each ring closes on its first vertex
    verts = np.empty((5 * n, 3))
    verts[:n, :2], verts[:n, 2] = flat, z1
    walls = verts[n:].reshape(n, 4, 3)
    walls[:, 0, :2] = walls[:, 3, :2] = flat
    walls[:, 1, :2] = walls[:, 2, :2] = flat[nxt]
    walls[:, :2, 2], walls[:, 2:, 2] = z0, z1
    quads = (n + 4 * np.arange(n, dtype=np.uint32))[:, None] + _QUAD
    return verts, np.concatenate([roof, quads.reshape(-1)])


class _Blob:
    """The binary chunk: buffer views appended at 8-byte offsets (metadata needs that)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[pygltflib.BufferView] = []

    def add(self, raw: bytes, target: int | None = None) -> int:
        self.data += b"\0" * (-len(self.data) % 8)
        self.views.append(pygltflib.BufferView(buffer=0, byteOffset=len(self.data),
                                               byteLength=len(raw), target=target))
        self.data += raw
        return len(self.views) - 1


def _strings(values: Sequence[str], blob: _Blob) -> dict[str, int]:
    encoded = [v.encode() for v in values]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.uint32)
    return {"values": blob.add(b"".join(encoded)), "stringOffsets": blob.add(offsets.tobytes())}


def _property_table(features: Sequence[Feature], blob: _Blob) -> dict[str, object]:
    ids = np.array([f.building_id for f in features], dtype=np.uint32)
    heights = np.array([f.top - f.ground for f in features], dtype=np.float32)
    floors = np.array([-1 if f.floors is None else f.floors for f in features], dtype=np.int16)
    return {"class": "building", "count": len(features), "properties": {
        "building_id": {"values": blob.add(ids.tobytes())},
        "height_m": {"values": blob.add(heights.tobytes())},
        "height_source": _strings([f.height_source for f in features], blob),
        "floors": {"values": blob.add(floors.tobytes())},
        "address": _strings([f.address for f in features], blob),
    }}


def _mesh_arrays(features: Sequence[Feature]) -> tuple[NDArray[np.float32], NDArray[np.float32],
                                                        NDArray[np.uint32]]:
    positions, counts, indices, base = [], [], [], 0
    for f in features:
        count = 0
        for rings in f.parts:
            verts, tris = _prism(rings, f.ground, f.top)
            positions.append(verts)
            indices.append(tris + (base + count))
            count += len(verts)
        counts.append(count)
        base += count
    enu = np.concatenate(positions)
    gltf = np.column_stack([enu[:, 0], enu[:, 2], -enu[:, 1]]).astype(np.float32)  # y-up
    ids = np.repeat(np.arange(len(features), dtype=np.float32), counts)
    return gltf, ids, np.concatenate(indices).astype(np.uint32)


def _accessor(view: int, component: int, count: int, kind: str,
              array: NDArray[np.float32] | None = None) -> pygltflib.Accessor:
    bounds = ({"min": array.min(axis=0).tolist(), "max": array.max(axis=0).tolist()}
              if array is not None else {})
    return pygltflib.Accessor(bufferView=view, componentType=component, count=count, type=kind,
                              **bounds)


def glb(features: Sequence[Feature]) -> bytes:
    """The GLB of these buildings (at least one)."""
    positions, ids, indices = _mesh_arrays(features)
    blob = _Blob()
    pos_view = blob.add(positions.tobytes(), pygltflib.ARRAY_BUFFER)
    id_view = blob.add(ids.tobytes(), pygltflib.ARRAY_BUFFER)
    index_view = blob.add(indices.tobytes(), pygltflib.ELEMENT_ARRAY_BUFFER)
    table = _property_table(features, blob)
    primitive = pygltflib.Primitive(
        attributes=pygltflib.Attributes(POSITION=0, _FEATURE_ID_0=1), indices=2, material=0,
        extensions={"EXT_mesh_features": {"featureIds": [
            {"featureCount": len(features), "attribute": 0, "propertyTable": 0}]}})
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="dizhi"), scene=0,
        scenes=[pygltflib.Scene(nodes=[0])], nodes=[pygltflib.Node(mesh=0)],
        meshes=[pygltflib.Mesh(primitives=[primitive])],
        materials=[pygltflib.Material(doubleSided=True, pbrMetallicRoughness=pygltflib
                                      .PbrMetallicRoughness(baseColorFactor=[0.85, 0.84, 0.8, 1],
                                                            metallicFactor=0.0,
                                                            roughnessFactor=0.9))],
        accessors=[_accessor(pos_view, FLOAT, len(positions), "VEC3", positions),
                   _accessor(id_view, FLOAT, len(ids), "SCALAR"),
                   _accessor(index_view, UINT32, len(indices), "SCALAR")],
        bufferViews=blob.views, buffers=[pygltflib.Buffer(byteLength=len(blob.data))],
        extensionsUsed=["EXT_mesh_features", "EXT_structural_metadata"],
        extensions={"EXT_structural_metadata": {"schema": SCHEMA, "propertyTables": [table]}})
    gltf.set_binary_blob(bytes(blob.data))
    return b"".join(gltf.save_to_bytes())

