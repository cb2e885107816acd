"""Migrations build exactly the schema module, and go down and up again."""

import os

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from api import db
from migrations.schema import include_object, metadata

SCRATCH = os.environ.get("DIZHI_TEST_DATABASE", "dizhi_test") + "_migrations"


@pytest.fixture
def scratch_url(database_url):
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SCRATCH}"')
    yield database_url.rsplit("/", 1)[0] + f"/{SCRATCH}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade(scratch_url):
    db.migrate(scratch_url)
    assert set(metadata.tables) <= _tables(scratch_url)
    db.migrate_down(scratch_url, "base")
    assert not set(metadata.tables) & _tables(scratch_url)
    db.migrate(scratch_url)
    with psycopg.connect(scratch_url) as conn:
        extensions = {r[0] for r in conn.execute("SELECT extname FROM pg_extension")}
    assert {"postgis", "pg_trgm"} <= extensions


def test_schema_module_matches_the_migrations(database_url):
    engine = create_engine(db.sqlalchemy_url(database_url))
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()
