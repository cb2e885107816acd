"""Read replicas against a real streaming standby: a cluster of the test's own (the embedded
cluster's code and configuration, on a free loopback port) and a replica of it made with
``pg_basebackup -R`` (``dizhi db replica``, ``Cluster.make_replica``). The app gets both; a
probe route tells which server answered (``pg_is_in_recovery()`` is true only on the
standby)."""

import time
from collections.abc import Iterator

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import ANONYMOUS, audit, create_key
from api.cli.main import app as cli
from api.db.cluster import Cluster
from api.deps import READ_PRIMARY_HEADER, ConnDep, reads_only
from api.settings import DatabaseSettings, Settings, get_settings
from tests.outage import free_port, seconds_until, throwaway_cluster

WINDOW_S = 1.0  # read-your-writes, short so that the test waits little


def start_replica(primary: Cluster) -> Cluster:
    """``dizhi db replica`` with the primary as the embedded cluster."""
    replica = Cluster(root=primary.root.parent / "replica", port=free_port())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DIZHI_VAR_DIR", str(primary.root.parent))
        env.setenv("DIZHI_PG_PORT", str(primary.port))
        get_settings.cache_clear()
        made = CliRunner().invoke(cli, ["db", "replica", str(replica.root), "--port",
                                        str(replica.port)])
    get_settings.cache_clear()
    assert made.exit_code == 0, made.output
    assert made.output.strip().endswith(f"@127.0.0.1:{replica.port}/dizhi")
    return replica


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[Cluster, Cluster]]:
    """A primary with the schema and a streaming replica of it, both removed after."""
    with throwaway_cluster() as (primary, _):
        replica = start_replica(primary)
        try:
            yield primary, replica
        finally:
            replica.stop()


def in_recovery(conn: ConnDep) -> dict[str, bool]:
    row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
    assert row is not None
    return {"replica": row[0]}


@reads_only
def lookup(conn: ConnDep) -> dict[str, bool]:
    return in_recovery(conn)


def audited(conn: ConnDep) -> dict[str, bool]:
    audit(conn, ANONYMOUS, action="read", resource="probe")  # a restricted read's audit row
    return in_recovery(conn)


def with_probes(app: FastAPI) -> FastAPI:
    app.add_api_route("/probe", in_recovery, methods=["GET", "POST"])
    app.add_api_route("/probe/lookup", lookup, methods=["POST"])
    app.add_api_route("/probe/audited", audited, methods=["GET"])
    return app


@pytest.fixture
def client(servers: tuple[Cluster, Cluster]) -> Iterator[TestClient]:
    primary, replica = servers
    settings = Settings(var_dir=get_settings().var_dir,
                        database=DatabaseSettings(read_your_writes_s=WINDOW_S))
    app = create_app(settings, url=primary.url("dizhi"), replica_urls=[replica.url("dizhi")])
    with TestClient(with_probes(app)) as test_client:
        yield test_client


def served_by_replica(client: TestClient, method: str = "GET", path: str = "/probe",
                      **kwargs: object) -> bool:
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return bool(response.json()["replica"])


def visible(url: str, sql: str, params: list[object], timeout_s: float = 10.0) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        return seconds_until(lambda: conn.execute(sql, params).fetchone() is not None,
                             limit=timeout_s) < timeout_s


def test_reads_go_to_the_replica_and_writes_to_the_primary(servers, client):
    primary, replica = servers
    assert served_by_replica(client)
    assert served_by_replica(client, "POST", "/probe/lookup")  # marked: it only reads
    assert not served_by_replica(client, "POST", "/probe")  # any other POST may write
    assert not served_by_replica(client, headers={READ_PRIMARY_HEADER: "1"})
    with psycopg.connect(primary.url("dizhi"), autocommit=True) as conn, conn.transaction():
        admin = {"Authorization": f"Bearer {create_key(conn, role='admin').key}"}
    assert visible(replica.url("dizhi"), "SELECT 1 FROM api_key WHERE role = 'admin'", [])

    made = client.post("/keys", json={"role": "planner", "name": "via the api"}, headers=admin)
    assert made.status_code == 201, made.text
    key_id, other = made.json()["id"], {"Authorization": f"Bearer {made.json()['key']}"}
    made_row = "SELECT 1 FROM api_key WHERE id = %s"
    with psycopg.connect(primary.url("dizhi")) as conn:
        assert conn.execute(made_row, [key_id]).fetchone() == (1,)  # written on the primary
    assert visible(replica.url("dizhi"), made_row, [key_id])  # and streamed to the standby
    # the writer reads its own writes from the primary for a while; others read the replica
    assert not served_by_replica(client, headers=admin)
    assert served_by_replica(client, headers=other)
    time.sleep(WINDOW_S + 0.1)
    assert served_by_replica(client, headers=admin)
    assert client.get("/keys", headers=admin).status_code == 200  # a real route on the replica


def test_a_read_on_the_replica_writes_its_audit_row_on_the_primary(servers, client):
    primary, _ = servers
    assert served_by_replica(client, path="/probe/audited")
    with psycopg.connect(primary.url("dizhi"), autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM audit_log WHERE resource = 'probe'").fetchone()
    assert rows == (1,)


def test_reads_fall_back_to_the_primary_while_the_replica_is_away(servers, client):
    _, replica = servers
    assert served_by_replica(client)
    replica.stop()
    try:
        start = time.monotonic()
        assert not served_by_replica(client)
        assert time.monotonic() - start < 3.0  # the lost replica is found out in about a second
        start = time.monotonic()
        assert not served_by_replica(client)
        assert time.monotonic() - start < 0.5  # and skipped from then on
    finally:
        replica.start()


@pytest.fixture
def lag_client(servers: tuple[Cluster, Cluster]) -> Iterator[TestClient]:
    """The app with a one-second bound on a replica's lag."""
    primary, replica = servers
    settings = Settings(var_dir=get_settings().var_dir,
                        database=DatabaseSettings(read_your_writes_s=0, replica_max_lag_s=1.0))
    app = create_app(settings, url=primary.url("dizhi"), replica_urls=[replica.url("dizhi")])
    with TestClient(with_probes(app)) as test_client:
        yield test_client


def replica_health(client: TestClient) -> dict[str, object]:
    health = client.get("/healthz")
    assert health.status_code == 200, health.text
    (one,) = health.json()["replicas"]
    return dict(one)


def test_healthz_reports_the_replica_and_a_lagging_one_is_skipped(servers, lag_client):
    primary, replica = servers
    client = lag_client
    # under load the standby may still be replaying the previous test's writes for a moment
    assert seconds_until(lambda: bool(replica_health(client)["serving"]), limit=10) < 10
    seen = replica_health(client)
    assert seen["reachable"] and 0 <= float(seen["lag_s"]) <= 1.0  # type: ignore[arg-type]
    assert seen["server"] == f"127.0.0.1:{replica.port}/dizhi"
    assert served_by_replica(client)
    with psycopg.connect(replica.url("dizhi"), autocommit=True) as standby, \
            psycopg.connect(primary.url("dizhi"), autocommit=True) as writer:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            writer.execute("INSERT INTO api_key (prefix, key_hash, role, name) VALUES"
                           " ('lagprobe', 'lag-probe', 'public', 'replay paused')")
            time.sleep(1.6)  # past the bound (and the one-second measure)
            writer.execute("UPDATE api_key SET name = 'still paused' WHERE key_hash = 'lag-probe'")
            lagging = replica_health(client)
            assert lagging["reachable"] and not lagging["serving"]
            assert float(lagging["lag_s"]) > 1.0  # type: ignore[arg-type]
            assert not served_by_replica(client)  # the primary serves the reads meanwhile
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
    assert seconds_until(lambda: bool(replica_health(client)["serving"]), limit=10) < 10
    time.sleep(1.1)  # the reads' own measure is at most a second old
    assert served_by_replica(client)
