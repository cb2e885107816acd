"""One real PostgreSQL + PostGIS per test session; each test gets a database of its own.

A template database (``DIZHI_TEST_DATABASE``, default ``dizhi_test``) is dropped and rebuilt once
per session: migrations, then the sample district. Each test that asks for the database gets a
clone of it (``CREATE DATABASE … TEMPLATE … STRATEGY WAL_LOG``, about 0.1–0.4 s; the next clone
is made on a background thread while a test runs) named ``<template>_c<n>``, and the clone is
dropped after the test. ``conn`` is an autocommit connection to it and ``client`` the app with its
own pool on it, as in production: every commit is real, and a half-written state would show.

DIZHI_TEST_DATABASE_URL names another server instead of the embedded cluster: the template and
the clones are created on that server (its role needs CREATEDB); the URL's own database is only
where the CREATE and DROP DATABASE statements run (``postgres`` will do) and is not changed.
"""

import itertools
import os
import re
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql
from typer.testing import CliRunner

from api import db
from api.app import create_app
from api.settings import get_settings
from spatial.sample import load_sample

# Parallel runs (several worktrees, several developers) each name their own template.
TEMPLATE = os.environ.get("DIZHI_TEST_DATABASE", "dizhi_test")
# DIZHI_TEST_REPLICA=1: ``client``'s app also takes the test's database as its read replica,
# whose sessions are read-only (api/db/replicas.py), so every request a replica would serve
# runs read-only and a read that writes fails its test (with
# DIZHI_DATABASE__READ_YOUR_WRITES_S=0, reads right after a write too).
READ_ONLY_REPLICA = os.environ.get("DIZHI_TEST_REPLICA") == "1"
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` (same server, same credentials)."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _admin_url() -> str:
    external = os.environ.get("DIZHI_TEST_DATABASE_URL")
    if external:
        return external
    cluster = db.embedded_cluster(get_settings())
    cluster.start()
    return cluster.url("postgres")


class Clones:
    """Databases cloned from the template, one per test. Two threads keep ``AHEAD`` clones ready,
    so a test rarely waits for its database; used ones are dropped on up to eight threads at
    once: every DROP DATABASE waits for a checkpoint of the whole cluster (seconds when other
    work writes to it), and drops in flight together share one."""

    AHEAD = 2

    def __init__(self, admin_url: str, template: str) -> None:
        self.admin_url, self.template = admin_url, template
        with psycopg.connect(admin_url) as admin:
            version = admin.info.server_version
        # WAL_LOG (PostgreSQL 15+): FILE_COPY checkpoints the whole cluster for every copy, which
        # took 1.2-2.2 s (drop 0.5-1.4 s) on a cluster other work writes to; WAL_LOG 0.3 s (0.1 s)
        self.strategy = sql.SQL(" STRATEGY WAL_LOG" if version >= 150000 else "")
        self.numbers = itertools.count(1)
        self.makers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="test-clone")
        self.dropper = ThreadPoolExecutor(max_workers=8, thread_name_prefix="test-drop")
        self.lock = threading.Lock()
        self.ready: deque[Future[str]] = deque()

    def _run(self, statement: sql.Composable) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(statement)

    def _create(self) -> str:
        name = f"{self.template}_c{next(self.numbers)}"
        self._run(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(self.template)) + self.strategy)
        return name

    def take(self) -> str:
        """A fresh clone's URL; as many are started as are taken."""
        with self.lock:
            while len(self.ready) <= self.AHEAD:
                self.ready.append(self.makers.submit(self._create))
            ready = self.ready.popleft()
        return with_database(self.admin_url, ready.result())

    def release(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        self.dropper.submit(self._run, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))

    def close(self) -> None:
        for ready in self.ready:
            self.release(with_database(self.admin_url, ready.result()))
        self.makers.shutdown(wait=True)
        self.dropper.shutdown(wait=True)


def _drop_leftovers(admin: psycopg.Connection, template: str) -> None:
    """The template and the clones a crashed earlier session left (only names of this run's)."""
    pattern = f"^{re.escape(template)}(_c[0-9]+)?$"
    names = [r[0] for r in admin.execute(
        "SELECT datname FROM pg_database WHERE datname ~ %s", [pattern])]
    for name in names:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def template_url() -> str:
    """The template every test database is cloned from: migrated, the sample loaded. Never
    connect to it from a test (a connected template cannot be cloned)."""
    admin_url = _admin_url()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        _drop_leftovers(admin, TEMPLATE)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
    url = with_database(admin_url, TEMPLATE)
    db.migrate(url)
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        load_sample(conn, sample_dir=SAMPLE_DIR)
    return url


@pytest.fixture(scope="session")
def clones(template_url: str) -> Iterator[Clones]:
    made = Clones(_admin_url(), TEMPLATE)
    yield made
    made.close()


@pytest.fixture
def database_url(clones: Clones) -> Iterator[str]:
    """A database of the test's own, cloned from the template and dropped after."""
    url = clones.take()
    yield url
    clones.release(url)


@pytest.fixture(scope="module")
def module_database_url(clones: Clones) -> Iterator[str]:
    """One clone shared by a module's tests (the browser pages, which start one server)."""
    url = clones.take()
    yield url
    clones.release(url)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test's database, as the pool gives the app: open a
    transaction (``with conn.transaction():``) around domain functions that write."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The app with its own pool on the test's database (no overrides)."""
    replicas = [database_url] if READ_ONLY_REPLICA else None
    with TestClient(create_app(url=database_url, replica_urls=replicas)) as test_client:
        yield test_client


@pytest.fixture
def cli_runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CLI runner whose commands use the test database (through DIZHI_DATABASE_URL)."""
    monkeypatch.setenv("DIZHI_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture
def sample_dir() -> Path:
    return SAMPLE_DIR
