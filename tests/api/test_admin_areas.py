"""Admin-area look-ups over HTTP, errors as problem+json."""

import pytest

from spatial.coords import from_wgs84

YINGPU = (121.1098416, 31.14427407)


def test_point_in_yingpu_gives_the_whole_chain(client):
    response = client.get("/admin-areas", params={"point": "121.1098416,31.14427407"})
    assert response.status_code == 200
    body = response.json()
    assert [a["level"] for a in body["chain"]] == ["district", "town", "community", "grid"]
    assert body["town"]["code"] == "310118002"
    assert body["town"]["name"] == "盈浦街道"
    assert body["district"]["code"] == "310118"
    assert body["community"]["code"].startswith("310118002")
    assert body["grid"]["code"].startswith(body["community"]["code"])


@pytest.mark.parametrize("coordsys", ["gcj02", "bd09"])
def test_same_point_in_other_coordinate_systems(client, coordsys):
    lng, lat = from_wgs84(*YINGPU, coordsys)
    response = client.get("/admin-areas", params={"point": f"{lng},{lat}", "coordsys": coordsys})
    assert response.status_code == 200
    assert response.json()["town"]["code"] == "310118002"
    assert response.json()["location"] == "121.1098416,31.1442741"


def test_point_across_the_boundary_is_named(client):
    body = client.get("/admin-areas", params={"point": "121.3171917,31.17122522"}).json()
    assert [(a["level"], a["name"]) for a in body["chain"]] == [
        ("district", "闵行区"), ("town", "新虹街道")]


def test_point_in_beijing_is_a_404_problem(client):
    response = client.get("/admin-areas", params={"point": "116.397,39.909"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found"
    assert "outside" in body["detail"]


@pytest.mark.parametrize("params, status, word", [
    ({"point": "abc"}, 400, "lng,lat"),
    ({"point": "121.1,31.1", "coordsys": "mars"}, 400, "coordsys"),
    ({"level": "county"}, 422, "level"),
])
def test_bad_input_is_a_clear_problem(client, params, status, word):
    response = client.get("/admin-areas", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert word in response.json()["detail"]


def test_by_code_and_lists(client):
    town = client.get("/admin-areas/310118002").json()
    assert town == {"code": "310118002", "name": "盈浦街道", "level": "town",
                    "parent_code": "310118", "synthetic": False,
                    "source": "Stockard/Shanghai-COVID-2022"}
    with_geometry = client.get("/admin-areas/310118002", params={"geometry": True}).json()
    assert with_geometry["geometry"]["type"] == "MultiPolygon"
    assert client.get("/admin-areas", params={"parent_code": "310118"}).json()["count"] == 11
    communities = client.get("/admin-areas", params={"parent_code": "310118002"}).json()
    assert communities["count"] == 35
    missing = client.get("/admin-areas/999")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no admin area with code '999'"


def test_geojson_for_the_map(client):
    grid = client.get("/admin-areas/geojson/grid", params={"simplify_m": 5}).json()
    assert grid["type"] == "FeatureCollection" and len(grid["features"]) == 953
    points = client.get("/addresses/geojson").json()
    assert len(points["features"]) == 842  # 850 published texts, 8 written twice


def test_unknown_route_and_health(client):
    assert client.get("/nope").headers["content-type"] == "application/problem+json"
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["database"].startswith("PostgreSQL ")
    assert health["postgis"].startswith("3.")
    assert health["schema_revision"][:4].isdigit()  # 0009 or 0009_name before renumbering
