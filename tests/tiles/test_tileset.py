"""3D Tiles of the buildings: every GLB passes the Khronos validator, every building is in one
tile with its properties, the API caches per buildings version."""

import json

import pygltflib
import pytest

from api.settings import get_settings
from spatial.buildings.export import load_blocks
from tests.gltf import validate_glbs, validator_available
from tiles.tileset import build_tileset

VAR = get_settings().var_dir


@pytest.fixture(scope="module")
def tileset(module_database_url):
    import psycopg

    with psycopg.connect(module_database_url) as conn:
        blocks = load_blocks(conn)
    return blocks, build_tileset(blocks, version="t")


def _leaves(node):
    if "content" in node:
        yield node
    for child in node.get("children", []):
        yield from _leaves(child)


def test_a_quadtree_with_geometric_errors(tileset):
    _, built = tileset
    doc = built.document
    assert doc["asset"]["version"] == "1.1" and doc["geometricError"] > 0
    leaves = list(_leaves(doc["root"]))
    assert len(leaves) > 1 and {leaf["content"]["uri"] for leaf in leaves} == set(built.contents)
    assert all(leaf["geometricError"] == 0 and len(leaf["transform"]) == 16 for leaf in leaves)
    assert all(child["geometricError"] < doc["root"]["geometricError"]
               for child in doc["root"]["children"])


def test_every_building_once_with_metadata(tileset):
    blocks, built = tileset
    total = 0
    for data in built.contents.values():
        gltf = pygltflib.GLTF2.load_from_bytes(data)
        ids = gltf.meshes[0].primitives[0].extensions["EXT_mesh_features"]["featureIds"][0]
        table = gltf.extensions["EXT_structural_metadata"]["propertyTables"][0]
        assert ids["featureCount"] == table["count"]
        assert {"building_id", "height_m", "floors", "address"} <= set(table["properties"])
        total += table["count"]
    assert total == len(blocks)


@pytest.mark.skipif(not validator_available(VAR), reason="gltf-validator not installed (make)")
def test_every_glb_passes_the_khronos_validator(tileset):
    _, built = tileset
    reports = validate_glbs(built.contents, var_dir=VAR)
    assert len(reports) == len(built.contents)
    assert {name: r for name, r in reports.items() if r["errors"] or r["warnings"]} == {}


def test_tileset_route_caches_per_buildings_version(client, conn):
    first = client.get("/3dtiles/tileset.json")
    assert first.status_code == 200
    doc = json.loads(first.content)
    uri = next(_leaves(doc["root"]))["content"]["uri"]
    glb = client.get(f"/3dtiles/{uri}", headers={"Accept-Encoding": "gzip"})
    assert glb.headers["content-type"] == "model/gltf-binary" and glb.content[:4] == b"glTF"
    assert client.get(f"/3dtiles/{uri}", headers={"If-None-Match": glb.headers["etag"]}
                      ).status_code == 304
    assert client.get("/3dtiles/tiles/0000/nope.glb").status_code == 404
    with conn.transaction():
        conn.execute("UPDATE building SET height_m = 77, updated_at = now()"
                     " WHERE id = (SELECT min(id) FROM building)")
    second = client.get("/3dtiles/tileset.json", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert json.loads(second.content)["asset"]["tilesetVersion"] != doc["asset"]["tilesetVersion"]
