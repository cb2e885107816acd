"""Energy recomputes as durable jobs: POST /energy/recompute queues the recompute queue's work,
a worker does it a chunk of meters at a time (committed), and the intervals and roll-ups are
those a recompute in one transaction writes."""

import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.settings import get_settings
from layers.energy.readings import ingest_rows
from layers.energy.rollup import ZONE
from tests.layers.energy import builders

START = datetime(2024, 5, 1, tzinfo=ZONE)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setenv("DIZHI_JOBS__CHUNK_ROWS", "2")  # two meters a chunk
    monkeypatch.setenv("DIZHI_JOBS__HEARTBEAT_S", "0.5")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _queue_days(conn, meters: int) -> list[str]:
    ids = [builders.meter(conn, multiplier=2.0) for _ in range(meters)]
    with conn.transaction():
        for m in ids:
            ingest_rows(conn, rows=[(m, START + i * timedelta(minutes=15), float(i))
                                    for i in range(97 * 2)])
    return ids


def _intervals(conn, ids: list[str]) -> list[tuple]:
    return conn.execute("SELECT meter_id, ts, value, quality FROM energy_interval"
                        " WHERE meter_id = ANY(%s) ORDER BY 1, 2", [ids]).fetchall()


def _wait_done(client: TestClient, href: str, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = client.get(href, headers=headers).json()
        if state["status"] in ("done", "failed", "cancelled"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"{href} did not end: {state}")


def test_recompute_job_does_the_queue_in_chunks_with_its_audit_row(small_chunks, database_url,
                                                                    conn):
    ids = _queue_days(conn, 5)
    energy = {"Authorization": f"Bearer {create_key(conn, role='energy').key}"}
    public = {"Authorization": f"Bearer {create_key(conn, role='public').key}"}
    with TestClient(create_app(url=database_url)) as client:  # its in-process worker
        assert client.post("/energy/recompute", headers=public).status_code == 403
        queued = client.post("/energy/recompute", headers=energy)
        assert queued.status_code == 202, queued.text
        job = queued.json()
        assert job["total"] >= 5
        state = _wait_done(client, job["href"], energy)
        assert state["status"] == "done" and state["kind"] == "energy_recompute", state
        result = client.get(state["results"]["json"], headers=energy).json()
    assert result["meters"] >= 5 and result["days"] >= 10 and result["intervals"] >= 5 * 193
    chunks = conn.execute("SELECT count(*) FROM job_chunk WHERE job_id = %s",
                          [job["id"]]).fetchone()[0]
    assert chunks >= 3  # at most two meters a chunk, each committed
    assert conn.execute("SELECT count(*) FROM energy_dirty_day WHERE meter_id = ANY(%s)",
                        [ids]).fetchone()[0] == 0
    audited = conn.execute("SELECT detail->>'job' FROM audit_log WHERE action = 'recompute'"
                           " AND resource = 'energy/recompute'").fetchall()
    assert audited == [(str(job["id"]),)]
    by_job = _intervals(conn, ids)
    assert len(by_job) == 5 * (97 * 2 - 1) and {r[3] for r in by_job} == {"measured"}
    # the same readings recomputed in one transaction give the same intervals
    from layers.energy.recompute import recompute_all

    with conn.transaction():
        conn.execute("INSERT INTO energy_dirty_day (meter_id, day) SELECT DISTINCT meter_id,"
                     " (ts AT TIME ZONE 'Asia/Shanghai')::date FROM energy_interval"
                     " WHERE meter_id = ANY(%s) ON CONFLICT DO NOTHING", [ids])
        recompute_all(conn)
    assert _intervals(conn, ids) == by_job
