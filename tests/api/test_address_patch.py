"""PATCH /addresses/{code} takes points in the caller's coordsys and writes a version only when
something changes; GET /addresses/{code} lists the address's aliases; /geocode warns and
restricts over HTTP."""

import pytest

from address.register.registry import add_alias
from api.auth import create_key
from spatial.coords import to_wgs84

HUAZHI_559 = "31011810004710559"


@pytest.fixture
def steward(conn):
    return {"Authorization": f"Bearer {create_key(conn, role='steward').key}"}


def _point(location):
    return tuple(float(v) for v in location.split(","))


@pytest.mark.parametrize("how", ["query", "body"])
def test_patch_takes_the_point_in_its_coordsys(client, steward, how):
    gcj = (121.2301234, 31.1702345)
    body = {"lng": gcj[0], "lat": gcj[1]}
    params = {"coordsys": "gcj02"} if how == "query" else {}
    if how == "body":
        body["coordsys"] = "gcj02"
    patched = client.patch(f"/addresses/{HUAZHI_559}", json=body, params=params,
                           headers=steward)
    assert patched.status_code == 200
    assert _point(patched.json()["location"]) == pytest.approx(gcj, abs=1e-6)  # answered in gcj02
    stored = _point(client.get(f"/addresses/{HUAZHI_559}").json()["location"])
    assert stored == pytest.approx(to_wgs84(*gcj, "gcj02"), abs=1e-6)


def test_a_patch_that_changes_nothing_writes_no_version(client, steward):
    first = client.patch(f"/addresses/{HUAZHI_559}", json={"tags": {"use": "住宅"}},
                         headers=steward).json()
    again = client.patch(f"/addresses/{HUAZHI_559}", json={"tags": {"use": "住宅"}},
                         headers=steward).json()
    assert again["version"] == first["version"] and len(again["history"]) == len(
        first["history"])
    lng, lat = _point(first["location"])
    same_point = client.patch(f"/addresses/{HUAZHI_559}", json={"lng": lng, "lat": lat},
                              headers=steward).json()
    assert same_point["version"] == first["version"]


def test_aliases_are_listed_with_the_address(client, conn):
    with conn.transaction():
        add_alias(conn, code=HUAZHI_559, text="华志路五五九号", normalized="华志路五五九号")
    got = client.get(f"/addresses/{HUAZHI_559}").json()
    assert [a["text"] for a in got["aliases"]] == ["华志路五五九号"]


def test_geocode_warns_when_the_town_disagrees_and_city_restricts(client):
    warned = client.get("/geocode", params={"address": "赵巷镇华志路559号"}).json()
    assert warned["best"]["code"] == HUAZHI_559 and warned["best"]["warnings"]
    assert warned["warnings"] == warned["best"]["warnings"]
    assert client.get("/geocode", params={"address": "华志路559号", "city": "七宝镇"}
                      ).status_code == 400
    elsewhere = client.get("/geocode", params={"address": "华志路559号", "city": "赵巷镇"}).json()
    assert all(c["towncode"] == "310118105" for c in elsewhere["candidates"])
