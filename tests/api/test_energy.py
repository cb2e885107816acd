"""The energy API: meters, readings (CSV, JSON, emoncms), roles and row-level security."""

import json

import pytest

from api.auth import create_key
from layers.energy.access import bind_key
from tests.layers.builders import headers_for
from tests.layers.energy import builders


@pytest.fixture
def energy_client(client):
    """The app on its own pool over the test's database (writes commit, as in production)."""
    return client


@pytest.fixture
def energy(conn):
    return headers_for(conn, "energy")


def _meter_body(**fields):
    return {"id": builders.unique("HTTP"), "kind": "electricity", "unit": "kWh",
            "reading_type": "cumulative", **fields}


def test_meters_round_trip(energy_client, energy):
    body = _meter_body(multiplier=40, register_max=999999)
    created = energy_client.post("/energy/meters", json=body, headers=energy)
    assert created.status_code == 201, created.text
    got = energy_client.get(f"/energy/meters/{body['id']}", headers=energy).json()
    assert got["multiplier"] == 40 and got["replacements"] == []
    assert energy_client.post("/energy/meters", json=body, headers=energy).status_code == 409
    bad = energy_client.post("/energy/meters", json=_meter_body(unit="m3"), headers=energy)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    listed = energy_client.get("/energy/meters?limit=1000", headers=energy).json()
    assert body["id"] in {m["id"] for m in listed["items"]}


def test_energy_needs_the_role(energy_client, conn):
    planner = headers_for(conn, "planner")
    assert energy_client.get("/energy/meters").status_code == 403
    assert energy_client.get("/energy/meters", headers=planner).status_code == 403
    assert energy_client.post("/energy/meters", json=_meter_body(),
                              headers=planner).status_code == 403


def test_readings_csv_and_json(energy_client, energy, conn):
    m = builders.meter(conn)
    csv = f"meter_id,ts,value\n{m},2024-05-01T00:15:00+08:00,1\n{m},2024-05-01T00:30:00+08:00,2\n"
    r = energy_client.post("/energy/readings", content=csv, headers={
        **energy, "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 2
    body = {"readings": [{"meter_id": m, "ts": "2024-05-01T00:30:00+08:00", "value": 2.5}]}
    r = energy_client.post("/energy/readings", json=body, headers=energy)
    assert r.json()["corrected"] == 1
    naive = {"readings": [{"meter_id": m, "ts": "2024-05-01T00:45:00", "value": 3}]}
    assert energy_client.post("/energy/readings", json=naive, headers=energy).status_code == 400
    ghost = {"readings": [{"meter_id": "ghost", "ts": "2024-05-01T00:45:00Z", "value": 3}]}
    r = energy_client.post("/energy/readings", json=ghost, headers=energy)
    assert r.status_code == 400 and r.json()["unknown_meters"] == ["ghost"]
    audited = conn.execute("SELECT count(*) FROM audit_log WHERE resource = 'energy/readings'"
                           " AND action = 'ingest'").fetchone()[0]
    assert audited >= 2


def test_emoncms_post_and_bulk(energy_client, conn):
    node = builders.unique("emon")
    for key in ("power1", "1", "2"):
        builders.meter(conn, id=f"{node}:{key}", reading_type="interval")
    key = create_key(conn, role="energy", name="emonhub").key
    r = energy_client.get("/energy/input/post", params={
        "node": node, "fulljson": json.dumps({"power1": 100}), "time": "1714492800",
        "apikey": key})
    assert r.status_code == 200 and r.text == "ok"
    data = json.dumps([[0, node, 1.5, 2.5], [900, node, 1.75, 2.75]])
    r = energy_client.post("/energy/input/bulk", data={"data": data, "time": "1714492800",
                                                        "apikey": key})
    assert r.status_code == 200, r.text
    rows = conn.execute("SELECT meter_id, extract(epoch FROM ts)::bigint, value FROM reading"
                        " WHERE meter_id LIKE %s ORDER BY 1, 2", [f"{node}:%"]).fetchall()
    assert rows == [(f"{node}:1", 1714492800, 1.5), (f"{node}:1", 1714493700, 1.75),
                    (f"{node}:2", 1714492800, 2.5), (f"{node}:2", 1714493700, 2.75),
                    (f"{node}:power1", 1714492800, 100.0)]
    assert energy_client.get("/energy/input/post", params={
        "node": node, "fulljson": "{bad", "apikey": key}).status_code == 400
    assert energy_client.get("/energy/input/post", params={
        "node": node, "fulljson": "{}"}).status_code == 403


def test_an_enterprise_key_sees_only_its_own(energy_client, conn):
    mine, theirs = builders.enterprise(conn), builders.enterprise(conn)
    own = builders.meter(conn, enterprise_id=mine)
    other = builders.meter(conn, enterprise_id=theirs)
    key = create_key(conn, role="enterprise", name="tenant")
    bind_key(conn, key_id=key.id, enterprise_id=mine)
    headers = {"Authorization": f"Bearer {key.key}"}
    listed = energy_client.get("/energy/meters?limit=1000", headers=headers).json()
    assert {m["enterprise_id"] for m in listed["items"]} == {mine}
    assert own in {m["id"] for m in listed["items"]}
    assert energy_client.get(f"/energy/meters/{own}", headers=headers).status_code == 200
    assert energy_client.get(f"/energy/meters/{other}", headers=headers).status_code == 404
    assert energy_client.post("/energy/meters", json=_meter_body(),
                              headers=headers).status_code == 403
    # the restriction ends with the request
    assert conn.execute("SELECT current_user = session_user").fetchone()[0]
