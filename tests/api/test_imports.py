"""Imports at steward scale and register hygiene (issue 15): POST /imports as a job, the report,
rejected and pending rows, and a geocoder a bad import cannot change."""

import json
import time

import pytest

from api.cli.main import app
from tests.layers.builders import headers_for

ISSUE_CSV = "address\nasdfqwer\n上海市黄浦区陕西南路100号\n华芝路573号\n"


@pytest.fixture
def steward(conn):
    return headers_for(conn, "steward")


def _import(client, headers, csv_text: str, source: str = "survey") -> dict:
    accepted = client.post("/imports", headers=headers, data={"source": source},
                           files={"file": ("rows.csv", csv_text.encode(), "text/csv")})
    assert accepted.status_code == 202, accepted.text
    href = accepted.json()["href"]
    for _ in range(300):
        report = client.get(href, headers=headers).json()
        if report["job"]["status"] in ("done", "failed"):
            return report
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_the_issue_example_ends_rejected_rejected_pending(client, steward):
    report = _import(client, steward, ISSUE_CSV)
    assert report["job"]["status"] == "done" and report["status"] == "done"
    assert (report["rows"], report["created"], report["matched"], report["pending"],
            report["rejected"]) == (3, 0, 0, 1, 2)
    errors = {e["line"]: e["reason"] for e in report["errors"]}
    assert set(errors) == {2, 3}
    assert "names no road" in errors[2] and "黄浦区" in errors[3]
    pending = client.get("/addresses/pending", headers=steward).json()
    assert pending["total"] == 1
    row = pending["items"][0]
    assert (row["raw_text"], row["place_name"], row["similar_to"], row["line_no"]) == (
        "华芝路573号", "华芝路", "华志路", 4)
    best = client.get("/geocode", params={"address": "华芝路559号"}).json()["best"]
    assert best["formatted_address"].endswith("华志路559号")
    roads = client.get("/roads", params={"q": "华芝"}).json()
    assert roads["total"] == 0  # no road was made


def test_a_steward_approves_or_rejects_pending_addresses(client, steward):
    _import(client, steward, "address\n青浦区新造路12号\n青浦区新造路14号\n")
    ids = [r["id"] for r in client.get("/addresses/pending", headers=steward).json()["items"]]
    assert len(ids) == 2
    approved = client.post("/addresses/pending/approve", headers=steward,
                           json={"ids": ids[:1], "note": "new road, checked on site"})
    assert approved.status_code == 200, approved.text
    code = approved.json()[0]["address_code"]
    assert approved.json()[0]["status"] == "approved" and code
    road = client.get(f"/roads/{code[:12]}").json()
    assert road["name"] == "新造路" and road["history"][0]["action"] == "create"
    rejected = client.post("/addresses/pending/reject", headers=steward, json={"ids": ids[1:]})
    assert rejected.json()[0]["status"] == "rejected"
    again = client.post("/addresses/pending/reject", headers=steward, json={"ids": ids[1:]})
    assert again.status_code == 409


def test_imports_and_writes_need_a_steward(client, conn):
    planner = headers_for(conn, "planner")
    files = {"file": ("rows.csv", ISSUE_CSV.encode(), "text/csv")}
    assert client.post("/imports", headers=planner, data={"source": "x"},
                       files=files).status_code == 403
    assert client.post("/roads", headers=planner, json={"name": "新路"}).status_code == 403


def test_roads_renamed_merged_and_retired_over_the_api(client, steward):
    huazhi = client.get("/roads", params={"q": "华志路"}).json()["items"][0]
    renamed = client.post(f"/roads/{huazhi['code']}/rename", headers=steward,
                          json={"name": "华智路"}).json()
    assert renamed["name"] == "华智路" and "华志路" in renamed["aliases"]
    assert [h["action"] for h in renamed["history"]][-1] == "rename"
    best = client.get("/geocode", params={"address": "青浦区华志路559号"}).json()["best"]
    assert best["formatted_address"].endswith("华智路559号")  # the old name still finds it
    other = client.post("/roads", headers=steward, json={"name": "华智东路"}).json()
    merged = client.post(f"/roads/{other['code']}/merge", headers=steward,
                         json={"into": huazhi["code"]}).json()
    assert "华智东路" in merged["aliases"]
    retired = client.post(f"/roads/{huazhi['code']}/retire", headers=steward).json()
    assert retired["status"] == "retired"
    gone = client.get("/geocode", params={"address": "青浦区华智路559号"}).json()
    assert not gone.get("best") or not gone["best"]["formatted_address"].endswith("559号")


def test_the_cli_report_lists_outcomes_and_failed_rows(cli_runner, tmp_path):
    source = tmp_path / "survey.csv"
    source.write_text("地址,lng,lat\n青浦区华志路559号,121.22494,31.17\n,121.2,31.1\n"
                      "青浦区华志路561号,abc,31.1\n", encoding="gb18030")
    report = tmp_path / "report.json"
    result = cli_runner.invoke(app, ["import", "addresses", str(source), "--source", "survey",
                                     "--report", str(report)])
    assert result.exit_code == 1, result.output  # rows were rejected
    data = json.loads(report.read_text(encoding="utf-8"))
    assert {"rows", "created", "matched", "pending", "rejected", "conflicts",
            "errors"} <= set(data)
    assert (data["rows"], data["matched"], data["rejected"]) == (3, 1, 2)
    assert [(e["line"], e["reason"]) for e in data["errors"]] == [
        (3, "empty address text"), (4, "not a finite number: 'abc', '31.1'")]
    assert "gb18030" in result.output
