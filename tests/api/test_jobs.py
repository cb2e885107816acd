"""Durable jobs: a batch survives kill -9 of its worker (a real `dizhi worker` process) and
finishes on another with every row once; cancel; a bad row lands in the job's errors; access;
no temporary file outlives a job."""

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import create_key
from api.jobs.queue import InProcessWorker, Queue
from api.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["青浦区明珠路416弄", "华志路559号", "胡说八道", "上海市青浦区徐泾镇明珠路416弄",
         "青浦区淀西村"]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _batch(rows: int, bad: frozenset[int] = frozenset()) -> bytes:
    nul = "\x00"
    lines = ["id,text"] + [f"{i},{TEXTS[i % len(TEXTS)]}{nul if i in bad else ''}"
                           for i in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def jobs_env(tmp_path, monkeypatch) -> Iterator[Path]:
    """Small chunks, a fast heartbeat and the jobs' work directory under tmp_path, for the
    apps and workers the test starts."""
    work = tmp_path / "jobs"
    for name, value in {"CHUNK_ROWS": "40", "HEARTBEAT_S": "0.5", "STALLED_AFTER_S": "2",
                        "RETRY_WAIT_S": "1", "WORK_DIR": str(work)}.items():
        monkeypatch.setenv(f"DIZHI_JOBS__{name}", value)
    get_settings.cache_clear()
    yield work
    get_settings.cache_clear()


@pytest.fixture
def no_worker_client(jobs_env, database_url, monkeypatch) -> Iterator[TestClient]:
    monkeypatch.setenv("DIZHI_JOBS__IN_PROCESS_WORKER", "false")
    get_settings.cache_clear()
    with TestClient(create_app(url=database_url)) as client:
        yield client


@pytest.fixture
def worker(database_url) -> Iterator:
    """Start `dizhi worker` processes on the test's database; all are killed at the end."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = {**os.environ, "DIZHI_DATABASE_URL": database_url}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from api.cli.main import main; main()", "worker"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _job(conn, job_id: int) -> tuple[str, int, int]:
    row = conn.execute("SELECT status, done, total FROM job WHERE id = %s", [job_id]).fetchone()
    return row[0], row[1], row[2]


def _wait(conn, job_id: int, until, timeout: float = 60) -> tuple[str, int, int]:
    deadline = time.monotonic() + timeout
    while not until(state := _job(conn, job_id)):
        assert time.monotonic() < deadline, f"job {job_id} is still {state}"
        time.sleep(0.05)
    return state


def _ids(csv_text: str) -> list[int]:
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(csv_text))]


def test_killed_worker_resumes_with_every_row_once(no_worker_client, conn, worker, jobs_env,
                                                   database_url):
    """A `dizhi worker` process is killed half way; another worker (here one on a thread of
    the test, ready at once) takes the job back and finishes it, every row once."""
    first = worker()
    key = create_key(conn, role="planner").key
    rows = 1600
    created = no_worker_client.post("/geocode/batch", headers=_bearer(key),
                                    files={"file": ("in.csv", _batch(rows), "text/csv")})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    _wait(conn, job_id, lambda s: s[1] >= 120)
    holder = conn.execute("SELECT worker FROM job WHERE id = %s", [job_id]).fetchone()[0]
    assert holder.endswith(f":{first.pid}")
    survivor = InProcessWorker(Queue(database_url, get_settings(), worker=True)).start()
    try:
        first.send_signal(signal.SIGKILL)
        first.wait()
        status, at_kill, total = _job(conn, job_id)
        assert status == "running" and 0 < at_kill < total == rows
        _wait(conn, job_id, lambda s: s[0] == "done")  # not resubmitted: taken back
    finally:
        survivor.stop()
    state = no_worker_client.get(f"/jobs/{job_id}", headers=_bearer(key)).json()
    assert state["done"] == rows and state["attempts"] == 2 and state["errors"] == []
    assert state["worker"] != holder
    result = no_worker_client.get(state["results"]["csv"], headers=_bearer(key))
    assert _ids(result.text) == list(range(1, rows + 1))  # every row once, in order
    geojson = no_worker_client.get(state["results"]["geojson"], headers=_bearer(key)).json()
    assert [int(f["properties"]["id"]) for f in geojson["features"]] == list(range(1, rows + 1))
    assert not jobs_env.exists() or not any(jobs_env.iterdir())


def test_bad_row_is_reported_and_the_rest_done(jobs_env, database_url, conn):
    key = create_key(conn, role="planner").key
    with TestClient(create_app(url=database_url)) as client:  # its in-process worker
        data = _batch(90, bad=frozenset({2, 77}))
        created = client.post("/geocode/batch", headers=_bearer(key),
                              files={"file": ("in.csv", data, "text/csv")})
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]
        _wait(conn, job_id, lambda s: s[0] in ("done", "failed"), timeout=30)
        state = client.get(f"/jobs/{job_id}", headers=_bearer(key)).json()
        assert state["status"] == "done", state
        assert [(e["line"], e["reason"]) for e in state["errors"]] == [
            (3, "the row contains a NUL byte"), (78, "the row contains a NUL byte")]
        assert state["error_count"] == 2
        result = client.get(state["results"]["csv"], headers=_bearer(key)).text
        assert _ids(result) == [i for i in range(1, 91) if i not in (2, 77)]


def test_cancel_access_and_list(no_worker_client, conn):
    client = no_worker_client
    key, other = create_key(conn, role="planner").key, create_key(conn, role="planner").key
    admin = create_key(conn, role="admin").key
    created = client.post("/geocode/batch", headers=_bearer(key),
                          files={"file": ("in.csv", _batch(10), "text/csv")}).json()
    href = f"/jobs/{created['id']}"
    assert client.get(href, headers=_bearer(other)).status_code == 403
    assert client.delete(href, headers=_bearer(other)).status_code == 403
    denied = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'denied' AND resource"
                          " = %s", [href]).fetchone()[0]
    assert denied == 2
    assert client.get("/jobs", headers=_bearer(other)).json()["items"] == []
    mine = client.get("/jobs", headers=_bearer(key)).json()
    assert mine["total"] == 1 and mine["items"][0]["status"] == "queued"
    assert client.get("/jobs", headers=_bearer(admin)).json()["total"] >= 1
    cancelled = client.delete(href, headers=_bearer(key))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.get(f"/geocode/batch/{created['id']}", headers=_bearer(key)).json()[
        "status"] == "cancelled"
    assert client.get(f"/geocode/batch/{created['id']}/result",
                      headers=_bearer(key)).status_code == 409
    assert conn.execute("SELECT input FROM job WHERE id = %s",
                        [created["id"]]).fetchone()[0] is None


def test_running_job_stops_when_cancelled(jobs_env, database_url, conn):
    key = create_key(conn, role="planner").key
    with TestClient(create_app(url=database_url)) as client:
        created = client.post("/geocode/batch", headers=_bearer(key),
                              files={"file": ("in.csv", _batch(4000), "text/csv")}).json()
        _wait(conn, created["id"], lambda s: s[1] > 0, timeout=30)
        assert client.delete(f"/jobs/{created['id']}", headers=_bearer(key)).status_code == 200
        _, done, _ = _job(conn, created["id"])
        time.sleep(1.0)
        status, later, total = _job(conn, created["id"])
        assert status == "cancelled" and later == done < total


def test_long_operations_run_as_jobs_with_background(jobs_env, database_url, conn):
    """Reroute, conflation (and quality runs, raster uploads) answer 202 with a job when asked;
    its result is what the request would have answered; bad input fails the job at once."""
    admin = _bearer(create_key(conn, role="admin").key)
    with TestClient(create_app(url=database_url)) as client:
        queued = client.post("/hotline/reroute", params={"since": "2100-01-01T00:00:00+00:00",
                                                         "background": "true"}, headers=admin)
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["id"]
        _wait(conn, job_id, lambda s: s[0] in ("done", "failed"), timeout=30)
        state = client.get(queued.json()["href"], headers=admin).json()
        assert state["status"] == "done" and state["kind"] == "hotline_reroute"
        direct = client.post("/hotline/reroute", params={"since": "2100-01-01T00:00:00+00:00"},
                             headers=admin).json()
        assert client.get(state["results"]["json"], headers=admin).json() == direct
        bad = client.post("/buildings/conflate", params={"background": "true"}, headers=admin,
                          json={"sources": ["t_osm", "t_osm"]})
        assert bad.status_code == 202
        _wait(conn, bad.json()["id"], lambda s: s[0] in ("done", "failed"), timeout=30)
        failed = client.get(bad.json()["href"], headers=admin).json()
        assert failed["status"] == "failed" and failed["attempts"] == 1 and failed["error"]


def test_a_lease_keeps_a_slow_worker_s_job_and_a_lapsed_one_is_taken(conn):
    """The queue may hand a slow worker's job to another: the other waits for the lease to
    lapse; a job the queue no longer holds is found for queueing again."""
    from api.auth import Principal
    from api.jobs.store import begin_attempt, insert_job, lock_progress, orphaned_jobs

    job_id = insert_job(conn, kind="geocode_batch", total=10, params={},
                        principal=Principal(role="admin"))
    assert begin_attempt(conn, job_id=job_id, worker="a:1", stalled_after_s=10) is not None
    assert begin_attempt(conn, job_id=job_id, worker="b:2", stalled_after_s=10) is None
    assert orphaned_jobs(conn, stalled_after_s=10) == []  # a:1's lease is fresh
    conn.execute("UPDATE job SET heartbeat_at = now() - interval '1 minute' WHERE id = %s",
                 [job_id])
    assert orphaned_jobs(conn, stalled_after_s=10) == [job_id]  # no queue entry, lease lapsed
    assert begin_attempt(conn, job_id=job_id, worker="b:2", stalled_after_s=10) is not None
    assert lock_progress(conn, job_id=job_id) == ("running", 0, "b:2")  # a:1 stops there
