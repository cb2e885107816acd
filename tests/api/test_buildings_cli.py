"""``dizhi import buildings`` and ``dizhi buildings …`` in-process against the test database."""

import psycopg
import pytest

from api.cli.main import app
from tests.spatial.test_buildings import SURVEY, _frame


@pytest.fixture
def runner(cli_runner, database_url):
    yield cli_runner
    with psycopg.connect(database_url, autocommit=True) as conn:  # the CLI commits
        conn.execute("DELETE FROM building_source WHERE source = 't_cli'")


def test_import_buildings_reports_and_is_incremental(runner, tmp_path):
    path = tmp_path / "cli.geojson"
    _frame(SURVEY).to_file(path, driver="GeoJSON", engine="pyogrio")
    first = runner.invoke(app, ["import", "buildings", str(path), "--source", "t_cli"])
    assert first.exit_code == 0, first.output
    assert f"read {len(SURVEY)}, inserted {len(SURVEY)}" in first.output
    again = runner.invoke(app, ["import", "buildings", str(path), "--source", "t_cli"])
    assert f"unchanged {len(SURVEY)}" in again.output


def test_bad_input_exits_with_a_message(runner, tmp_path):
    result = runner.invoke(app, ["import", "buildings", str(tmp_path / "x.gpkg"),
                                 "--source", "t_cli"])
    assert result.exit_code != 0


def test_export_cityjson(runner, tmp_path):
    out = tmp_path / "b.city.json"
    result = runner.invoke(app, ["buildings", "export", "--out", str(out),
                                 "--bbox", "121.10,31.14,121.12,31.16"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith('{"type": "CityJSON"')
