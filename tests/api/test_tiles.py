"""Vector tiles: content, several layers per tile, TileJSON, gzip, ETag/304, cache invalidation,
and access levels on cached tiles."""

import gzip

import pytest

from tests.layers.builders import geojson_file, headers_for, parcels, upload

# The z14 tile holding the parcels east of (121.11, 31.15); z10 holds the whole district.
TILE = "14/13704/6698"


pytestmark = pytest.mark.usefixtures("tile_cache_in_tmp")


def _upload(client, planner, tmp_path, name, n=5, **form):
    path = geojson_file(tmp_path / f"{name}{n}.geojson", parcels(n))
    response = upload(client, planner, path, name, **form)
    assert response.status_code == 201, response.text


def test_a_tile_of_a_layer_and_of_built_ins(client, planner, tmp_path):
    _upload(client, planner, tmp_path, "parcels", access_level="public")
    response = client.get(f"/tiles/parcels/{TILE}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert response.headers["content-encoding"] == "gzip"
    assert b"parcels" in response.content and "地块1".encode() in response.content
    both = client.get(f"/tiles/admin_areas,parcels/{TILE}.mvt").content
    assert b"admin_areas" in both and b"parcels" in both and len(both) > len(response.content)
    district = client.get("/tiles/admin_areas,addresses/10/856/418.mvt?fields=name,code").content
    assert "盈浦街道".encode() in district and b"addresses" in district
    assert b"parent_code" not in district


def test_empty_and_bad_tiles(client):
    assert client.get("/tiles/admin_areas/14/0/0.mvt").content == b""
    assert client.get("/tiles/admin_areas/3/9/0.mvt").status_code == 400
    assert client.get("/tiles/nope/3/1/1.mvt").status_code == 404


def test_tilejson(client, planner, tmp_path):
    _upload(client, planner, tmp_path, "parcels", access_level="public")
    body = client.get("/tiles/admin_areas,parcels.json").json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"][0].endswith("/tiles/admin_areas,parcels/{z}/{x}/{y}.mvt")
    assert [layer["id"] for layer in body["vector_layers"]] == ["admin_areas", "parcels"]
    assert body["vector_layers"][1]["fields"]["code"] == "text"


def test_etag_and_304(client):
    first = client.get(f"/tiles/admin_areas/{TILE}.mvt")
    etag = first.headers["etag"]
    again = client.get(f"/tiles/admin_areas/{TILE}.mvt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    plain = client.get(f"/tiles/admin_areas/{TILE}.mvt", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.compress(plain.content)  # an uncompressed MVT body


def test_cache_is_invalidated_when_the_layer_changes(client, planner, tmp_path):
    _upload(client, planner, tmp_path, "plots", access_level="public")
    first = client.get(f"/tiles/plots/{TILE}.mvt")
    assert client.get(f"/tiles/plots/{TILE}.mvt").headers["etag"] == first.headers["etag"]
    assert list((tmp_path / "tiles").glob("plots/*/14/13704/6698.mvt.gz"))
    _upload(client, planner, tmp_path, "plots", n=1, mode="replace")
    changed = client.get(f"/tiles/plots/{TILE}.mvt")
    assert changed.headers["etag"] != first.headers["etag"]
    assert len(changed.content) < len(first.content)
    assert len(list((tmp_path / "tiles").glob("plots/*/14/13704/6698.mvt.gz"))) == 1


def test_cached_tiles_obey_access_levels(client, conn, planner, tmp_path):
    _upload(client, planner, tmp_path, "secret", access_level="restricted")
    assert client.get(f"/tiles/secret/{TILE}.mvt", headers=planner).status_code == 200
    assert client.get(f"/tiles/secret/{TILE}.mvt").status_code == 403
    assert client.get(f"/tiles/admin_areas,secret/{TILE}.mvt").status_code == 403
    hotline = headers_for(conn, "hotline")
    assert client.get(f"/tiles/secret/{TILE}.mvt", headers=hotline).status_code == 403
    assert client.get("/tiles/secret.json").status_code == 403
    audited = conn.execute("SELECT count(*) FROM audit_log WHERE resource = 'layer/secret'")
    assert audited.fetchone()[0] >= 1


def test_builtin_tilejson_has_the_data_bounds_and_attribution(client):
    buildings = client.get("/tiles/buildings.json").json()
    west, south, east, north = buildings["bounds"]
    assert 120.8 < west < east < 121.4 and 30.9 < south < north < 31.4
    assert buildings["center"][:2] == [(west + east) / 2, (south + north) / 2]
    assert 8 <= buildings["center"][2] <= 14 and buildings["attribution"]
    basemap = client.get("/tiles/basemap.json").json()
    assert "OpenStreetMap" in basemap["attribution"] and basemap["bounds"][0] > 120
    tile = client.get("/tiles/basemap/11/1713/837.mvt", headers={"Accept-Encoding": "gzip"})
    assert tile.status_code == 200 and tile.headers["content-encoding"] == "gzip"
    assert client.get("/tiles/basemap/11/1713/837.mvt",
                      headers={"If-None-Match": tile.headers["etag"]}).status_code == 304
