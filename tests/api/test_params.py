"""The shared parameter groups (coordsys, bbox, paging, towncode): bad values are problems."""

import pytest

from api.auth import create_key
from api.params import MAX_OFFSET

PROBLEM = "application/problem+json"


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def _reader(conn, path):
    """A planner's key for the ticket routes (anonymous callers may not read tickets)."""
    if "/hotline/" not in path and "/open311/" not in path:
        return {}
    return {"Authorization": f"Bearer {create_key(conn, role='planner').key}"}


@pytest.mark.parametrize("path", ["/reverse?location=121.2249,31.17", "/suggest?q=hzl",
                                  "/geocode?address=华志路", "/hotline/tickets",
                                  "/admin-areas?point=121.1098416,31.14427407"])
def test_an_unknown_coordsys_is_a_400(client, conn, path):
    body = _problem(client.get(path, params={"coordsys": "mercator"},
                               headers=_reader(conn, path)), 400)
    assert "coordsys" in body["detail"]


def test_coordsys_aliases_still_work(client):
    response = client.get("/reverse", params={"location": "121.2249,31.17", "coordsys": "AMap"})
    assert response.status_code == 200
    assert response.json()["coordsys"] == "gcj02"


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "121.2,31,121.1,31.2", "0,0,200,10",
                                  "nan,0,1,1"])
def test_a_bad_bbox_is_a_400(client, bbox):
    body = _problem(client.get("/buildings", params={"bbox": bbox}), 400)
    assert "bbox" in body["detail"]


def test_ogc_bbox_in_another_crs_is_not_held_to_degrees(client):
    response = client.get("/ogc/collections/admin_areas/items", params={
        "bbox": "3400000,500000,3500000,600000",
        "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4549"})
    assert response.status_code == 200, response.text
    _problem(client.get("/ogc/collections/admin_areas/items", params={"bbox": "1,2"}), 400)


@pytest.mark.parametrize(("path", "params"), [
    ("/addresses", {"limit": 0}), ("/addresses", {"limit": 1001}),
    ("/addresses", {"offset": -1}), ("/addresses", {"offset": MAX_OFFSET + 1}),
    ("/addresses", {"offset": 2**63}), ("/buildings", {"offset": 2**64}),
    ("/hotline/tickets", {"offset": 10**30}), ("/ogc/collections/admin_areas/items",
                                               {"offset": 2**63}),
])
def test_paging_out_of_bounds_is_a_422(client, conn, path, params):
    body = _problem(client.get(path, params=params, headers=_reader(conn, path)), 422)
    assert body["errors"][0]["loc"][-1] in params


def test_open311_pages_stay_within_the_offset_bound(client, conn):
    path = "/open311/v2/requests"
    _problem(client.get(path, params={"page": 10**12, "page_size": 1000},
                        headers=_reader(conn, path)), 400)


def test_one_page_envelope(client, conn):
    for path in ("/addresses", "/buildings", "/hotline/tickets"):
        page = client.get(path, params={"limit": 2, "offset": 1},
                          headers=_reader(conn, path)).json()
        assert {"total", "limit", "offset", "items"} <= set(page), path
        assert (page["limit"], page["offset"]) == (2, 1)
        assert len(page["items"]) <= 2


def test_towncode_and_town_code_must_agree(client):
    _problem(client.get("/addresses", params={"towncode": "310118002",
                                              "town_code": "310118001"}), 400)
