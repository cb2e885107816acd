"""The buildings API: pages, one building with lineage and addresses, CityJSON, tiles, review."""

import math

import pytest

from api.auth import create_key
from spatial.buildings.cityjson_schema import schema_errors, seq_errors
from spatial.buildings.conflate import conflate
from spatial.buildings.ingest import store_footprints
from tests.spatial.test_buildings import OSM, SURVEY, _frame


@pytest.fixture(autouse=True)
def _inside_a_transaction(conn):
    """Open the test's transaction now, so ``conn.transaction()`` blocks become savepoints
    (on an idle connection they would commit, and outlive the test)."""
    conn.execute("SELECT 1")


def _tile(lng: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lng + 180) / 360 * n), int(y)


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_buildings_page_and_one_building(client):
    response = client.get("/buildings", params={"bbox": "121.0,31.0,121.3,31.3", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] > 100 and len(body["items"]) == 5
    linked = client.get("/buildings", params={"limit": 1000}).json()["items"]
    building_id = linked[0]["id"]
    one = client.get(f"/buildings/{building_id}").json()
    assert one["geometry"]["type"] == "MultiPolygon" and "quality" in one
    lineage = client.get(f"/buildings/{building_id}/lineage").json()
    assert lineage["sources"] and {s["role"] for s in lineage["sources"]} >= {"geometry"}


def test_unknown_building_and_bad_bbox_are_problems(client):
    missing = client.get("/buildings/999999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert client.get("/buildings", params={"bbox": "1,2,3"}).status_code == 400


def test_cityjson_and_vector_tile(client):
    response = client.get("/buildings/lod1.city.json",
                          params={"bbox": "121.10,31.14,121.12,31.16", "limit": 20})
    assert response.headers["content-type"].startswith("application/city+json")
    assert response.json()["type"] == "CityJSON" and schema_errors(response.json()) == []
    etag = response.headers["etag"]
    again = client.get("/buildings/lod1.city.json", headers={"If-None-Match": etag},
                       params={"bbox": "121.10,31.14,121.12,31.16", "limit": 20})
    assert again.status_code == 304
    seq = client.get("/buildings/lod1.city.jsonl", params={"towncode": "310118002"},
                     headers={"Accept-Encoding": "gzip"})
    assert seq.headers["content-encoding"] == "gzip"
    assert seq_errors(seq.text.splitlines()) == []
    assert client.get("/buildings/tiles/3/99/0.pbf").status_code == 400


def test_building_tiles_come_through_the_tile_cache(tile_cache_in_tmp, client, tmp_path):
    x, y = _tile(121.1098, 31.1443, 15)
    tile = client.get(f"/buildings/tiles/15/{x}/{y}.pbf")
    assert tile.status_code == 200 and len(tile.content) > 100
    assert tile.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert tile.headers["content-encoding"] == "gzip"
    assert tile.headers["cache-control"].startswith("public")
    for attribute in (b"height", b"use", b"match_kind", b"floors"):  # what the 3D page reads
        assert attribute in tile.content
    assert list((tmp_path / "tiles").glob(f"buildings/*/15/{x}/{y}.mvt.gz"))
    same = client.get(f"/tiles/buildings/15/{x}/{y}.mvt")
    assert same.content == tile.content and same.headers["etag"] == tile.headers["etag"]
    again = client.get(f"/buildings/tiles/15/{x}/{y}.pbf",
                       headers={"If-None-Match": tile.headers["etag"]})
    assert again.status_code == 304 and not again.content
    plain = client.get(f"/buildings/tiles/15/{x}/{y}.pbf", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == tile.content
    assert client.get(f"/buildings/tiles/15/{x}/{y}.pbf",
                      headers=_bearer("dz_not_a_key")).status_code == 401


def test_review_queue_needs_a_steward_who_resolves_it(client, conn):
    with conn.transaction():
        store_footprints(conn, frame=_frame(SURVEY), source="t_survey")
        store_footprints(conn, frame=_frame(OSM), source="t_osm")
    assert client.get("/buildings/review").status_code == 401 or \
        client.get("/buildings/review").status_code == 403
    planner = create_key(conn, role="planner")
    assert client.post("/buildings/conflate", json={"sources": ["t_survey", "t_osm"]},
                       headers=_bearer(planner.key)).status_code == 403
    steward = create_key(conn, role="steward", name="data team")
    run = client.post("/buildings/conflate", json={"sources": ["t_survey", "t_osm"]},
                      headers=_bearer(steward.key))
    assert run.status_code == 200 and run.json()["review"] == 1
    [item] = client.get("/buildings/review", headers=_bearer(steward.key)).json()["items"]
    done = client.post(f"/buildings/review/{item['id']}", json={"decision": "merged"},
                       headers=_bearer(steward.key))
    assert done.status_code == 200 and done.json()["status"] == "merged"
    again = client.post(f"/buildings/review/{item['id']}", json={"decision": "merged"},
                        headers=_bearer(steward.key))
    assert again.status_code == 409
    with conn.transaction():
        assert conflate(conn, sources=["t_survey", "t_osm"])["n:m"] == 1


def test_rasters_are_listed_by_access_level(client, conn):
    hotline = _bearer(create_key(conn, role="hotline").key)
    items = client.get("/buildings/rasters", params={"kind": "dem"}, headers=hotline).json()
    assert any(r["name"] == "aster_gdem_v3_qingpu" for r in items["items"])
    assert {r["kind"] for r in items["items"]} == {"dem"}
    assert client.get("/buildings/rasters").json()["items"] == []  # internal: not anonymous
