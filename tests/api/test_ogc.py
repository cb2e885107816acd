"""OGC API Features Part 1 and Part 2 (CRS): built-ins and catalog layers, with access levels."""

import pytest

from tests.layers.builders import geojson_file, parcels, upload

EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@pytest.fixture
def parcels_layer(client, planner, tmp_path):
    path = geojson_file(tmp_path / "parcels.geojson", parcels(5))
    assert upload(client, planner, path, "parcels", access_level="public").status_code == 201
    return "parcels"


def test_landing_and_conformance(client):
    rels = {link["rel"] for link in client.get("/ogc").json()["links"]}
    assert {"self", "conformance", "data", "service-desc"} <= rels
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conforms


def test_built_in_collections_are_listed(client, parcels_layer):
    body = client.get("/ogc/collections").json()
    ids = [c["id"] for c in body["collections"]]
    assert ids[:2] == ["admin_areas", "addresses"] and "parcels" in ids
    assert f"{EPSG}4549" in body["collections"][0]["crs"]


def test_items_with_bbox_limit_and_paging(client):
    url = "/ogc/collections/admin_areas/items?bbox=121.0,31.0,121.3,31.3&limit=5"
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 5
    assert body["numberMatched"] > 5
    next_link = next(link["href"] for link in body["links"] if link["rel"] == "next")
    second = client.get(next_link).json()
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in body["features"]})


def test_property_filter_and_single_item(client, conn):
    towns = conn.execute("SELECT count(*) FROM admin_area WHERE level = 'town'").fetchone()[0]
    body = client.get("/ogc/collections/admin_areas/items?level=town&limit=100").json()
    assert body["numberMatched"] == towns
    assert {f["properties"]["level"] for f in body["features"]} == {"town"}
    item = client.get("/ogc/collections/admin_areas/items/310118002").json()
    assert item["properties"]["name"] == "盈浦街道" and item["geometry"]["type"] == "MultiPolygon"
    assert client.get("/ogc/collections/admin_areas/items/nope").status_code == 404
    assert client.get("/ogc/collections/admin_areas/items?colour=red").status_code == 400


def test_crs_output_and_bbox_crs(client, parcels_layer):
    base = "/ogc/collections/parcels/items/1"
    crs84 = client.get(base)
    assert crs84.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    lng, lat = crs84.json()["geometry"]["coordinates"][0][0]
    lat_first = client.get(f"{base}?crs={EPSG}4490").json()["geometry"]["coordinates"][0][0]
    assert lat_first == pytest.approx([lat, lng])
    northing, easting = client.get(f"{base}?crs={EPSG}4549").json()["geometry"]["coordinates"][0][0]
    assert 3.4e6 < northing < 3.5e6 and 5.0e5 < easting < 6.2e5
    box = f"{lat - 0.0001},{lng - 0.0001},{lat + 0.0001},{lng + 0.0001}"
    hit = client.get(f"/ogc/collections/parcels/items?bbox={box}&bbox-crs={EPSG}4326").json()
    assert [f["id"] for f in hit["features"]] == [1]
    assert client.get(f"{base}?crs={EPSG}3857").status_code == 400


def test_datetime_filter(client, parcels_layer):
    url = "/ogc/collections/parcels/items?datetime=2024-02-01T00:00:00Z/2024-03-31T00:00:00Z"
    body = client.get(url).json()
    assert sorted(f["properties"]["name"] for f in body["features"]) == ["地块1", "地块2"]
    open_end = client.get("/ogc/collections/parcels/items?datetime=2024-04-01T00:00:00Z/..").json()
    assert open_end["numberMatched"] == 2


def test_access_levels_apply_to_features(client, conn, planner, tmp_path):
    path = geojson_file(tmp_path / "s.geojson", parcels(2))
    assert upload(client, planner, path, "secret", access_level="restricted").status_code == 201
    assert client.get("/ogc/collections/secret/items").status_code == 403
    assert client.get("/ogc/collections/secret/items/1").status_code == 403
    assert "secret" not in [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert client.get("/ogc/collections/secret/items", headers=planner).json()["numberMatched"] == 2


def test_buildings_are_a_collection_once_the_table_exists(client, conn):
    if conn.execute("SELECT to_regclass('building')").fetchone()[0] is None:
        pytest.skip("no building table in this schema yet")
    some = conn.execute("SELECT id FROM building ORDER BY id LIMIT 1").fetchone()
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert "buildings" in ids
    body = client.get("/ogc/collections/buildings/items?limit=2").json()
    assert body["numberMatched"] >= 0 and len(body["features"]) <= 2
    if some:
        item = client.get(f"/ogc/collections/buildings/items/{some[0]}").json()
        assert item["id"] == some[0] and "height_m" in item["properties"]
