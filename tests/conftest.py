"""One real PostgreSQL + PostGIS per test session: the embedded cluster with its own database.

``dizhi_test`` is dropped and recreated each session, migrated and loaded with the sample
district. Each test gets a connection inside a transaction that is rolled back afterwards; the API
tests hand that same connection to the app, so nothing a test writes outlives it.
Set DIZHI_TEST_DATABASE_URL to run against another server (its database is used as is), or
DIZHI_TEST_DATABASE to use another database name in the embedded cluster.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import db
from api.app import create_app
from api.deps import get_conn
from api.settings import get_settings
from spatial.sample import load_sample

# Parallel runs (several worktrees, several developers) each name their own database.
TEST_DATABASE = os.environ.get("DIZHI_TEST_DATABASE", "dizhi_test")
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


def _fresh_embedded_database() -> str:
    cluster = db.embedded_cluster(get_settings())
    cluster.start()
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
    return cluster.url(TEST_DATABASE)


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("DIZHI_TEST_DATABASE_URL") or _fresh_embedded_database()
    db.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn:
        load_sample(conn, sample_dir=SAMPLE_DIR)
    return url


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """A connection in a transaction that is rolled back after the test.

    The transaction is opened here, so that ``conn.transaction()`` in the code under test is a
    savepoint inside it and not a transaction of its own that would commit."""
    with psycopg.connect(database_url) as connection:
        connection.execute("SELECT 1")
        yield connection
        connection.rollback()


@pytest.fixture
def client(database_url: str, conn: psycopg.Connection) -> Iterator[TestClient]:
    app = create_app(url=database_url)
    app.dependency_overrides[get_conn] = lambda: conn
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def cli_runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CLI runner whose commands use the test database (through DIZHI_DATABASE_URL)."""
    monkeypatch.setenv("DIZHI_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def live_client(database_url: str) -> Iterator[TestClient]:
    """The app on its own pool, committing: for work on background threads (batch jobs).
    Tests using it write only rows of their own (keys, jobs)."""
    with TestClient(create_app(url=database_url)) as test_client:
        yield test_client


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE_DIR
