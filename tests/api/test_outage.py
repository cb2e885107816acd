"""PostgreSQL stopped and started under a running app (a throwaway cluster, never the shared
one): every request answers 503 problem+json with Retry-After within 1 s while it is down, and
the pool is back by itself within 5 s of the server."""

import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.outage import seconds_until, throwaway_cluster

PATHS = ["/healthz", "/geocode?address=华志路1号", "/admin-areas?level=town"]


@pytest.fixture(scope="module")
def outage():
    with throwaway_cluster() as (cluster, url), TestClient(create_app(url=url)) as client:
        yield cluster, client


def _timed(client: TestClient, path: str) -> tuple[float, object]:
    start = time.monotonic()
    response = client.get(path)
    return time.monotonic() - start, response


def test_stopped_database_is_503_within_a_second_then_recovers(outage):
    cluster, client = outage
    for path in PATHS:
        assert client.get(path).status_code < 500, path
    cluster.stop()
    try:
        for _ in range(2):  # the broken pooled connections first, then none to be had
            for path in PATHS:
                elapsed, down = _timed(client, path)
                assert down.status_code == 503, (path, down.text)
                assert down.headers["content-type"].startswith("application/problem+json")
                assert down.headers["retry-after"].isdigit()
                assert elapsed < 1.0, (path, elapsed)
        assert client.get("/healthz").json()["health"] == "degraded"
    finally:
        cluster.start()
    back = seconds_until(lambda: client.get("/healthz").status_code == 200, limit=10)
    assert back <= 5.0
    assert client.get("/healthz").json()["status"] == "ok"
    for path in PATHS:
        assert client.get(path).status_code < 500, path
