"""Data-quality rules: each rule kind finds what it should, scores, stored runs, the CLI."""

import json

import pytest

from address.errors import BadRequest
from api.cli.main import app
from layers.catalog.collections import get_collection
from layers.catalog.quality import get_rules, latest_scores, list_runs, run_quality, set_rules
from layers.catalog.store import add_layer
from tests.layers.builders import feature, geojson_file, parcels, square


def _layer(conn, tmp_path, name="plots"):
    conn.execute("SELECT 1")  # inside the test's transaction, so add_layer's is a savepoint
    features = parcels(4)
    features[1]["properties"]["code"] = "BAD"
    features[2]["properties"]["name"] = ""
    features[3]["properties"]["code"] = features[0]["properties"]["code"]
    overlapping = square(121.1105, 31.1505).__geo_interface__
    features.append(feature(overlapping, name="压盖", code="QP9999", area_mu=5000.0))
    features.append(feature(square(125.0, 31.15).__geo_interface__, name="远方", code="QP8888",
                            area_mu=1.0))
    with conn.transaction():
        add_layer(conn, path=geojson_file(tmp_path / f"{name}.geojson", features), name=name)
    return get_collection(conn, cid=name)


def _failed(result):
    return {(r["rule"], r.get("field")): (r["failed"], r["sample_ids"]) for r in result["results"]}


def test_every_rule_kind(conn, tmp_path):
    collection = _layer(conn, tmp_path)
    set_rules(conn, collection=collection, rules=[
        {"rule": "valid_geometry"}, {"rule": "inside_district"},
        {"rule": "required", "field": "name"},
        {"rule": "pattern", "field": "code", "regex": "^QP[0-9]{4}$"},
        {"rule": "range", "field": "area_mu", "min": 0, "max": 1000},
        {"rule": "unique", "field": "code"}, {"rule": "no_overlap", "min_area_m2": 1},
    ])
    result = run_quality(conn, collection=collection)
    failed = _failed(result)
    assert failed[("valid_geometry", None)] == (0, [])
    assert failed[("inside_district", None)] == (1, ["6"])
    assert failed[("required", "name")] == (1, ["3"])
    assert failed[("pattern", "code")] == (1, ["2"])
    assert failed[("range", "area_mu")] == (1, ["5"])
    assert failed[("unique", "code")] == (2, ["1", "4"])
    assert failed[("no_overlap", None)] == (2, ["1", "5"])
    assert result["feature_count"] == 6
    assert result["score"] == pytest.approx(100 * (1 - (1 + 1 + 1 + 1 + 2 + 2) / 6 / 7), abs=0.01)
    assert list_runs(conn, resource="plots")[0]["score"] == result["score"]
    assert latest_scores(conn)["plots"]["score"] == result["score"]


def test_default_rules_and_built_ins(conn):
    addresses = get_collection(conn, cid="addresses")
    assert get_rules(conn, collection=addresses) == [
        {"rule": "valid_geometry"}, {"rule": "inside_district"}]
    set_rules(conn, collection=addresses, rules=[
        {"rule": "pattern", "field": "code", "regex": "^[0-9A-Za-z_-]+$"},
        {"rule": "unique", "field": "code"}, {"rule": "inside_district"}])
    result = run_quality(conn, collection=addresses)
    current = conn.execute(
        "SELECT count(*) FROM address WHERE valid_to IS NULL AND point IS NOT NULL").fetchone()[0]
    assert result["feature_count"] == current and 0 <= result["score"] <= 100


def test_bad_rules_are_refused(conn, tmp_path):
    collection = _layer(conn, tmp_path)
    with pytest.raises(BadRequest, match="unknown rule"):
        set_rules(conn, collection=collection, rules=[{"rule": "pretty"}])
    with pytest.raises(BadRequest, match="unknown field"):
        set_rules(conn, collection=collection, rules=[{"rule": "required", "field": "nope"}])


def test_quality_over_http(client, conn, tmp_path):
    from tests.layers.builders import headers_for

    _layer(conn, tmp_path, name="http_plots")
    steward = headers_for(conn, "steward")
    assert client.post("/quality/http_plots/runs").status_code == 403
    rules = [{"rule": "required", "field": "name"}]
    assert client.put("/quality/http_plots/rules", json=rules, headers=steward).status_code == 200
    run = client.post("/quality/http_plots/runs", headers=steward)
    assert run.status_code == 201 and run.json()["results"][0]["failed"] == 1
    runs = client.get("/quality/http_plots/runs", headers=steward).json()["runs"]
    assert len(runs) == 1
    scores = client.get("/quality/scores", headers=steward).json()["scores"]
    assert scores["http_plots"]["score"] == run.json()["score"]


def test_cli_layers_add_and_quality_run(cli_runner, monkeypatch, tmp_path):
    monkeypatch.setenv("DIZHI_TILE_CACHE_DIR", str(tmp_path / "tiles"))
    runner = cli_runner
    path = geojson_file(tmp_path / "cli_plots.geojson", parcels(3))
    added = runner.invoke(app, ["layers", "add", str(path), "--access", "public"])
    assert added.exit_code == 0, added.output
    assert "layer cli_plots v1: 3 features" in added.output
    assert "cli_plots\tpublic\tv1\t3" in runner.invoke(app, ["layers", "list"]).stdout
    checked = runner.invoke(app, ["quality", "run", "cli_plots"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout.strip().splitlines()[-1])["score"] == 100.0
    bad = runner.invoke(app, ["quality", "run", "nope"])
    assert bad.exit_code != 0
