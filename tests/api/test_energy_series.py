"""Series, summaries (tce and CO₂ from the tables valid on the day, KPIs) and rankings."""

from datetime import timedelta

import pytest

from layers.energy.readings import ingest_rows
from layers.energy.recompute import recompute_all
from tests.api.test_energy import energy, energy_client  # noqa: F401 (fixtures)
from tests.layers.energy import builders
from tests.layers.energy.test_recompute import START, _rows

DAY = {"start": "2024-05-01T00:00:00+08:00", "end": "2024-05-02T00:00:00+08:00"}


@pytest.fixture
def metered(conn):
    park = builders.park(conn)
    ent = builders.enterprise(conn, park)
    main = builders.meter(conn, enterprise_id=ent, park_code=park)
    sub = builders.meter(conn, enterprise_id=ent, park_code=park, parent_id=main)
    day_before = [1.0 * i for i in range(96)]  # 96 the day before, then 384
    with conn.transaction():
        ingest_rows(conn, rows=_rows(main, day_before + [96.0 + 4 * i for i in range(97)],
                                     start=START - timedelta(days=1))
                    + _rows(sub, [3.0 * i for i in range(97)]))
        recompute_all(conn)
    return park, ent, main, sub


def test_meter_series_at_every_interval(energy_client, energy, metered):  # noqa: F811
    _, _, main, _ = metered
    for interval, n, value in (("15min", 96, 4.0), ("hour", 24, 16.0), ("day", 1, 384.0)):
        got = energy_client.get(f"/energy/meters/{main}/series",
                                params={**DAY, "interval": interval}, headers=energy)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["meter_id"] == main and body["unit"] == "kWh"
        assert len(body["points"]) == n and body["points"][0]["value"] == pytest.approx(value)
        assert body["points"][0]["ts"] == "2024-05-01T00:00:00+08:00"
        assert body["points"][0]["quality"] == "measured"


def test_park_series_and_summary(energy_client, energy, metered):  # noqa: F811
    park, ent, _, _ = metered
    got = energy_client.get(f"/energy/parks/{park}/series",
                            params={**DAY, "interval": "15min"}, headers=energy).json()
    assert {p["value"] for p in got["points"]} == {4.0}  # the sub-meter is in its parent
    summary = energy_client.get(f"/energy/enterprises/{ent}/summary", params=DAY,
                                headers=energy).json()
    (power,) = summary["kinds"]
    assert power["total"] == pytest.approx(384.0)
    assert power["tce"] == pytest.approx(384.0 * 0.1229 / 1000)
    assert power["co2_t"] == pytest.approx(384.0 * 0.42 / 1000)  # 沪环气〔2022〕34号
    assert power["previous_total"] == pytest.approx(96.0) and power["change"] == pytest.approx(3)
    assert summary["kpis"]["peak_demand_kw"] == pytest.approx(16.0)
    assert summary["kpis"]["load_factor"] == pytest.approx(1.0)
    national = energy_client.get(f"/energy/enterprises/{ent}/summary",
                                 params={**DAY, "emission_factor": "national"},
                                 headers=energy).json()
    assert national["co2_t"] == pytest.approx(384.0 * 0.5366 / 1000)


def test_meter_reconciliation_and_ranking(energy_client, energy, metered):  # noqa: F811
    park, ent, main, _ = metered
    summary = energy_client.get(f"/energy/meters/{main}/summary", params=DAY,
                                headers=energy).json()
    assert summary["reconciliation"]["loss_share"] == pytest.approx(0.25)
    assert summary["kpis"]["completeness"] == pytest.approx(1.0)
    ranked = energy_client.get("/energy/rankings", params={**DAY, "park_code": park},
                               headers=energy).json()
    assert ranked["items"] == [{"rank": 1, "id": str(ent), "value": pytest.approx(384.0)}]


def test_bad_requests_are_problems(energy_client, energy, metered):  # noqa: F811
    _, _, main, _ = metered
    assert energy_client.get("/energy/meters/nope/series", params=DAY,
                             headers=energy).status_code == 404
    backwards = {"start": DAY["end"], "end": DAY["start"]}
    assert energy_client.get(f"/energy/meters/{main}/series", params=backwards,
                             headers=energy).status_code == 400
    assert energy_client.get(f"/energy/meters/{main}/series", params={**DAY, "interval": "week"},
                             headers=energy).status_code == 422


def test_alarms_api_and_states(energy_client, energy, conn):  # noqa: F811
    m = builders.meter(conn, reading_type="interval")
    with conn.transaction():
        ingest_rows(conn, rows=_rows(m, [2.0] * 10 + [-3.0] + [2.0] * 10))
        recompute_all(conn)
    got = energy_client.get("/energy/alarms", params={"meter_id": m}, headers=energy)
    assert got.status_code == 200, got.text
    (alarm,) = got.json()
    assert alarm["kind"] == "impossible" and alarm["severity"] == "critical"
    assert alarm["start"].startswith("2024-05-01T02:15") or alarm["start"].startswith(
        "2024-04-30T18:15")
    url = f"/energy/alarms/{alarm['id']}/state"
    assert energy_client.post(url, json={"state": "closed"}, headers=energy).json()[
        "state"] == "closed"
    again = energy_client.post(url, json={"state": "acknowledged"}, headers=energy)
    assert again.status_code == 400
    assert energy_client.post("/energy/alarms/0/state", json={"state": "closed"},
                              headers=energy).status_code == 404
