"""Geocoding over HTTP: forward, structured, reverse, suggest, batch jobs; the register workflow."""

import time

import pytest

from api.auth import create_key
from spatial.coords import from_wgs84


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_geocode_free_text_and_fields(client):
    complaint = "来电反映青浦区明珠路416弄门口垃圾很多"
    body = client.get("/geocode", params={"address": complaint}).json()
    best = body["best"]
    assert body["status"] == "1" and body["address_text"].endswith("明珠路416弄")
    assert best["formatted_address"] == "上海市青浦区徐泾镇明珠路416弄"
    assert (best["level"], best["match_type"], best["confidence"]) == ("门牌号", "exact", 1.0)
    assert best["adcode"] == "310118" and best["towncode"] == "310118106"
    assert best["community_code"].startswith("310118106") and best["code"].startswith("310118")
    lng, lat = map(float, best["location"].split(","))
    assert 121.2 < lng < 121.3 and 31.1 < lat < 31.2


def test_coordsys_of_the_answer(client):
    wgs = client.get("/geocode", params={"address": "青浦区明珠路416弄"}).json()["best"]
    gcj = client.get("/geocode", params={"address": "青浦区明珠路416弄", "coordsys": "gcj02"}
                     ).json()["best"]
    expected = from_wgs84(*map(float, wgs["location"].split(",")), "gcj02")
    assert gcj["location"] == f"{expected[0]:.7f},{expected[1]:.7f}"


def test_structured_form(client):
    best = client.get("/geocode", params={"road": "明珠路", "roadno": "416弄"}).json()["best"]
    assert best["formatted_address"].endswith("明珠路416弄") and best["match_type"] == "exact"


@pytest.mark.parametrize("text, level, match_type", [
    ("明珠路416号", "门牌号", "fuzzy"),        # 号 for 弄
    ("明朱路416弄", "门牌号", "fuzzy"),        # a homophone typo in the road
    ("华志路557号", "门牌号", "interpolated"),  # between 555号 and 559号
    ("华志路", "道路", "fallback"),
    ("朱家角镇", "乡镇", "fallback"),
])
def test_levels_and_match_types(client, text, level, match_type):
    best = client.get("/geocode", params={"address": text}).json()["best"]
    assert (best["level"], best["match_type"]) == (level, match_type)
    assert 0 < best["confidence"] < 1


def test_no_silent_guess(client):
    other = client.get("/geocode", params={"address": "闵行区纪翟路1455弄"}).json()
    assert other["best"] is None and "outside the register" in other["reason"]
    nothing = client.get("/geocode", params={"address": "请问今天天气怎么样"}).json()
    assert nothing["best"] is None and nothing["status"] == "0"
    assert client.get("/geocode").status_code == 400


def test_reverse(client):
    near = client.get("/geocode", params={"address": "青浦区明珠路416弄"}).json()["best"]
    body = client.get("/reverse", params={"location": near["location"], "radius": 50}).json()
    assert body["addresses"][0]["code"] == near["code"]
    assert body["addresses"][0]["distance_m"] < 1
    assert body["towncode"] == "310118106" and body["road"]["name"] == "明珠路"
    assert [a["level"] for a in body["admin_chain"]] == ["district", "town", "community", "grid"]
    assert client.get("/reverse", params={"location": "1,2", "radius": 0}).status_code == 422


@pytest.mark.parametrize("q, expected", [
    ("明珠", "明珠路"), ("mzl", "明珠路"), ("mingzhu", "明珠路"), ("明朱路", "明珠路"),
    ("珠路", "明珠路"), ("明珠路41", "上海市青浦区徐泾镇明珠路416弄"),
])
def test_suggest(client, q, expected):
    body = client.get("/suggest", params={"q": q}).json()
    assert expected in [s["text"] for s in body["suggestions"]]


def test_batch_job_needs_a_key_and_keeps_order(client, conn):
    csv_text = "id,text\n1,青浦区明珠路416弄\n2,胡说八道\n3,华志路559号\n"
    files = {"file": ("in.csv", csv_text.encode(), "text/csv")}
    assert client.post("/geocode/batch", files=files).status_code == 401
    key = create_key(conn, role="planner", name="batch test").key
    created = client.post("/geocode/batch", files=files, params={"coordsys": "gcj02"},
                          headers=_bearer(key))
    assert created.status_code == 202
    job = created.json()["href"]
    deadline = time.monotonic() + 30
    while client.get(job, headers=_bearer(key)).json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    result = client.get(f"{job}/result", headers=_bearer(key)).text.splitlines()
    assert result[0].startswith("id,text,code,formatted_address,lng,lat,level,match_type")
    assert [line.split(",")[0] for line in result[1:]] == ["1", "2", "3"]
    assert result[2].startswith("2,胡说八道,,")
    other = create_key(conn, role="planner", name="batch test").key
    assert client.get(job, headers=_bearer(other)).status_code == 403
    geojson = client.get(f"{job}/result", params={"format": "geojson"}, headers=_bearer(key))
    assert len(geojson.json()["features"]) == 3


def test_bad_batch_file(client, conn):
    key = create_key(conn, role="planner").key
    files = {"file": ("in.csv", b"address\nx\n", "text/csv")}
    response = client.post("/geocode/batch", files=files, headers=_bearer(key))
    assert response.status_code == 400 and "'text' column" in response.json()["detail"]


def test_register_workflow_over_http(client, conn):
    code = client.get("/geocode", params={"address": "青浦区淀西村"}).json()["best"]["code"]
    objection = client.post(f"/addresses/{code}/objections", json={"reason": "位置不对"})
    assert objection.status_code == 201
    assert client.get("/objections").status_code == 403
    steward = create_key(conn, role="steward").key
    listed = client.get("/objections", headers=_bearer(steward)).json()
    assert objection.json()["id"] in [o["id"] for o in listed]
    moved = client.post(f"/objections/{objection.json()['id']}/transition",
                        json={"status": "resolved"}, headers=_bearer(steward))
    assert moved.status_code == 409  # open → resolved skips verifying
    bad_tag = client.patch(f"/addresses/{code}", json={"tags": {"use": "城堡"}},
                           headers=_bearer(steward))
    assert bad_tag.status_code == 400
    patched = client.patch(f"/addresses/{code}", json={"tags": {"use": "住宅"}},
                           headers=_bearer(steward))
    assert patched.json()["version"] == 2
    conflicts = client.get("/conflicts", headers=_bearer(steward)).json()["items"]
    assert {c["kind"] for c in conflicts} <= {"far_apart", "same_point", "outside_admin",
                                              "duplicate"}
    first = conflicts[0]["id"]
    rejected = client.post(f"/conflicts/{first}/resolve", json={"action": "reject"},
                           headers=_bearer(steward))
    assert rejected.json()["status"] == "rejected"


def test_batch_file_in_gbk_is_read_and_other_bytes_refused(client, conn):
    key = create_key(conn, role="planner").key
    gbk = {"file": ("excel.csv", "id,text\n1,华志路559号\n".encode("gbk"), "text/csv")}
    created = client.post("/geocode/batch", files=gbk, headers=_bearer(key))
    assert created.status_code == 202, created.text
    latin = {"file": ("in.csv", "id,text\n1,Müller\n".encode("latin-1"), "text/csv")}
    refused = client.post("/geocode/batch", files=latin, headers=_bearer(key))
    assert refused.status_code == 400 and "GB18030" in refused.json()["detail"]
