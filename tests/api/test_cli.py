"""The dizhi command line, run in-process against the test database."""

import pytest
from typer.testing import CliRunner

from api.cli.main import app
from api.settings import get_settings


@pytest.fixture
def runner(cli_runner: CliRunner) -> CliRunner:
    return cli_runner


def test_db_commands_follow_the_configured_url(runner, database_url):
    assert runner.invoke(app, ["db", "url"]).stdout.strip() == database_url
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0
    assert "DIZHI_DATABASE_URL: up" in status.stdout and "PostGIS 3." in status.stdout
    start = runner.invoke(app, ["db", "start"])
    assert start.exit_code == 0 and "nothing to start" in start.output


def test_db_status_fails_when_unreachable(runner, monkeypatch):
    monkeypatch.setenv("DIZHI_DATABASE_URL", "postgresql://x:y@127.0.0.1:1/none")
    get_settings.cache_clear()
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 1 and "not reachable" in result.output


def test_migrate_and_load_sample_are_repeatable(runner):
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    # a slice of the park: its whole year is minutes of work (make db loads a month)
    park = ["--park-days", "2", "--park-enterprises", "2"]
    result = runner.invoke(app, ["load", "sample", "--force", *park])
    assert result.exit_code == 0, result.output
    assert "town: 11" in result.output and "community: 355" in result.output
    assert "source_records: 850" in result.output and "addresses: 842" in result.output
    assert "sample park: " in result.output and "meters: " in result.output
    again = runner.invoke(app, ["load", "sample", *park])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert "park: already loaded" in again.output


def test_keys_create_and_list(runner):
    result = runner.invoke(app, ["keys", "create", "--role", "planner", "--name", "cli test"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("dz_")
    listed = runner.invoke(app, ["keys", "list"]).stdout
    assert "planner" in listed and "cli test" in listed and key not in listed


def test_unknown_role_is_refused(runner):
    result = runner.invoke(app, ["keys", "create", "--role", "root"])
    assert result.exit_code != 0
