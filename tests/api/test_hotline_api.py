"""The native hotline endpoints: tickets, originals (audited), rules, hot spots, the CLI."""

import csv

import pytest
from typer.testing import CliRunner

from api.auth import create_key
from api.cli.main import app


def _auth(conn, role):
    return {"Authorization": f"Bearer {create_key(conn, role=role).key}"}


@pytest.fixture
def ticket(client, conn):
    body = {"service_code": "sanitation",
            "description": "我叫王建国，华徐公路988号门口垃圾，电话13812345678"}
    created = client.post("/hotline/tickets", json=body, headers=_auth(conn, "hotline"))
    assert created.status_code == 201, created.text
    return created.json()


def test_ticket_fields(ticket):
    assert ticket["description"] == "我叫王**，华徐公路988号门口垃圾，电话***********"
    assert {p["kind"] for p in ticket["pii"]} == {"name", "mobile"}
    assert ticket["admin_chain"]["district"]["name"] == "青浦区"
    assert ticket["responsible_unit"] == "徐泾镇城管中队" and ticket["history"] == []


def test_original_only_for_hotline_and_admin_and_audited(client, conn, ticket):
    url = f"/hotline/tickets/{ticket['id']}/original"
    assert client.get(url).status_code == 403
    assert client.get(url, headers=_auth(conn, "planner")).status_code == 403
    original = client.get(url, headers=_auth(conn, "admin")).json()
    assert "13812345678" in original["description"]
    rows = conn.execute("SELECT role, resource FROM audit_log WHERE resource = %s",
                        [f"ticket/{ticket['id']}/original"]).fetchall()
    assert rows == [("admin", f"ticket/{ticket['id']}/original")]


def test_list_by_town_category_time(client, conn, ticket):
    planner = _auth(conn, "planner")
    town = client.get("/hotline/tickets", params={"town_code": "310118106"},
                      headers=planner).json()
    assert ticket["id"] in [t["id"] for t in town["items"]]
    other = client.get("/hotline/tickets", params={"service_code": "water"},
                       headers=planner).json()
    assert ticket["id"] not in [t["id"] for t in other["items"]]
    later = client.get("/hotline/tickets", params={"start": "2100-01-01T00:00:00Z"},
                       headers=planner).json()
    assert later["total"] == 0


def test_hotspots_and_heat_map_layer(client, conn, ticket):
    headers = _auth(conn, "hotline")
    for _ in range(2):
        client.post("/hotline/tickets", headers=headers,
                    json={"service_code": "sanitation", "description": "华徐公路988号又有垃圾"})
    planner = _auth(conn, "planner")
    repeats = client.get("/hotline/hotspots/repeats", params={"min_count": 3},
                         headers=planner).json()
    assert repeats["items"][0]["count"] >= 3
    clusters = client.get("/hotline/hotspots/clusters", headers=planner,
                          params={"eps_m": 100, "min_points": 3}).json()
    assert clusters["type"] == "FeatureCollection" and clusters["features"]
    points = client.get("/hotline/tickets.geojson", headers=planner).json()
    assert ticket["id"] in [f["id"] for f in points["features"]]
    assert "description" not in points["features"][0]["properties"]


def test_rules_are_admin_only(client, conn):
    rules = client.get("/hotline/rules").json()
    assert any(r["unit"] == "{town_name}城管中队" for r in rules)
    assert client.put("/hotline/rules", json=rules, headers=_auth(conn, "hotline")
                      ).status_code == 403
    bad = [{"unit": "{nope}"}]
    assert client.put("/hotline/rules", json=bad, headers=_auth(conn, "admin")).status_code == 400


@pytest.fixture
def runner(cli_runner: CliRunner) -> CliRunner:
    return cli_runner


def test_cli_route_keeps_order(runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text,lng,lat\n华徐公路988号门口垃圾,,\n楼下很吵,121.2885,31.1695\n"
                      "松江区九亭镇涞寅路100号,,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["hotline", "route", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("text,lng,lat,address_text,formatted_address") and len(lines) == 4
    assert "310118106" in lines[1] and "310118106" in lines[2] and "310117107" in lines[3]
    assert "转松江区12345分中心" in lines[3]


def test_cli_route_hands_over_with_district_code(runner, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("text\n来电反映黄浦区陕西南路100号门口垃圾\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["hotline", "route", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = csv.DictReader(out.read_text(encoding="utf-8").splitlines())
    assert row["district_code"] == "310101" and row["address_text"] == "黄浦区陕西南路100号"
    assert row["responsible_unit"] == "转黄浦区12345分中心"


def test_ticket_of_another_district_is_handed_over(client, conn):
    created = client.post("/hotline/tickets", headers=_auth(conn, "hotline"),
                          json={"service_code": "road",
                                "description": "黄浦区陕西南路100号井盖坏了"})
    ticket = created.json()
    assert ticket["district_code"] == "310101" and ticket["address_text"] == "黄浦区陕西南路100号"
    assert ticket["responsible_unit"] == "转黄浦区12345分中心"


def test_cli_reroute_and_rules(runner):
    result = runner.invoke(app, ["hotline", "reroute", "--since", "2100-01-01"])
    assert result.exit_code == 0 and "0 of 0" in result.output
    rules = runner.invoke(app, ["hotline", "rules"])
    assert rules.exit_code == 0 and "城管中队" in rules.output


def test_idempotency_key_on_a_native_post(client, conn):
    headers = {**_auth(conn, "hotline"), "Idempotency-Key": "abc"}
    body = {"service_code": "water", "description": "华徐公路988号积水"}
    first = client.post("/hotline/tickets", json=body, headers=headers)
    again = client.post("/hotline/tickets", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/hotline/tickets", json={**body, "service_code": "road"}, headers=headers)
    assert other.status_code == 422
    assert conn.execute("SELECT count(*) FROM ticket").fetchone()[0] == 1
