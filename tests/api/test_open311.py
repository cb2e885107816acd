"""Open311 GeoReport v2: services, filing and reading service requests."""

import pytest

from api.auth import create_key
from spatial.coords import from_wgs84


@pytest.fixture
def hotline_key(conn):
    return {"Authorization": f"Bearer {create_key(conn, role='hotline').key}"}


@pytest.fixture
def planner(conn):
    return {"Authorization": f"Bearer {create_key(conn, role='planner').key}"}


def _post(client, headers, **form):
    return client.post("/open311/v2/requests", data=form, headers=headers)


def test_services(client):
    services = client.get("/open311/v2/services").json()
    codes = {s["service_code"] for s in services}
    assert {"sanitation", "water", "noise", "other"} <= codes
    assert client.get("/open311/v2/services.json").json() == services


def test_file_and_read_a_request(client, hotline_key, planner):
    created = _post(client, hotline_key, service_code="sanitation",
                    description="来电反映华徐公路988号门口垃圾没人清理，电话13812345678")
    assert created.status_code == 201, created.text
    (receipt,) = created.json()
    request_id = receipt["service_request_id"]
    (req,) = client.get(f"/open311/v2/requests/{request_id}", headers=planner).json()
    assert req["service_request_id"] == request_id and req["status"] == "open"
    assert "13812345678" not in req["description"] and "***********" in req["description"]
    assert req["agency_responsible"] == "徐泾镇城管中队"
    assert req["address"] == "上海市青浦区徐泾镇华徐公路988号" and req["address_id"]
    assert req["town_code"] == "310118106" and req["level"] == "门牌号"
    gcj = client.get(f"/open311/v2/requests/{request_id}.json", headers=planner,
                     params={"coordsys": "gcj02"}).json()[0]
    x, y = from_wgs84(req["long"], req["lat"], "gcj02")
    assert (gcj["long"], gcj["lat"]) == (round(float(x), 7), round(float(y), 7))


def test_gps_in_gcj02_is_taken(client, hotline_key, planner):
    x, y = from_wgs84(121.2885, 31.1695, "gcj02")
    (receipt,) = _post(client, hotline_key, service_code="noise", description="楼下晚上很吵",
                       lat=str(y), long=str(x), coordsys="gcj02").json()
    (req,) = client.get(f"/open311/v2/requests/{receipt['service_request_id']}",
                        headers=planner).json()
    assert abs(req["long"] - 121.2885) < 1e-6 and abs(req["lat"] - 31.1695) < 1e-6
    assert req["agency_responsible"] == "徐泾镇派出所"


def test_list_filters(client, hotline_key, planner):
    for code in ("water", "sanitation"):
        _post(client, hotline_key, service_code=code, description="华徐公路988号门口积水")
    water = client.get("/open311/v2/requests", params={"service_code": "water"},
                       headers=planner).json()
    assert water and {r["service_code"] for r in water} == {"water"}
    town = client.get("/open311/v2/requests", params={"town_code": "310118102"},
                      headers=planner).json()
    assert all(r["town_code"] == "310118102" for r in town)


def test_errors_are_problem_json(client, hotline_key, planner):
    anonymous = client.post("/open311/v2/requests",
                            data={"service_code": "water", "description": "积水"})
    assert anonymous.status_code == 403
    bad = _post(client, hotline_key, service_code="nope", description="积水")
    assert bad.status_code == 400 and "service_code" in bad.json()["detail"]
    missing = client.get("/open311/v2/requests/999999999", headers=planner)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_respond_async_is_accepted(client, hotline_key, planner):
    accepted = client.post("/open311/v2/requests", headers={**hotline_key,
                           "Prefer": "respond-async"},
                           data={"service_code": "water", "description": "华徐公路988号积水"})
    assert accepted.status_code == 202
    (receipt,) = accepted.json()
    assert receipt["service_notice"] == "routing pending"
    (req,) = client.get(f"/open311/v2/requests/{receipt['service_request_id']}",
                        headers=planner).json()
    assert req["service_code"] == "water" and req["status"] == "open"
