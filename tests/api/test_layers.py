"""The catalog over HTTP: upload, report, versions, metadata, access levels, delete."""

import pytest

from tests.layers.builders import (
    bowtie,
    csv_file,
    feature,
    geojson_file,
    gpkg_file,
    headers_for,
    parcels,
    upload,
)

pytestmark = pytest.mark.usefixtures("tile_cache_in_tmp")


def test_upload_geojson_makes_a_layer_with_metadata(client, conn, planner, tmp_path):
    features = [*parcels(4), feature(bowtie(), name="bowtie"), feature(None, name="none")]
    path = geojson_file(tmp_path / "parcels.geojson", features)
    response = upload(client, planner, path, "parcels", title="地块", access_level="public")
    assert response.status_code == 201, response.text
    body = response.json()
    layer, report = body["layer"], body["report"]
    assert layer["feature_count"] == 5 and layer["version"] == 1
    assert layer["table_name"] == "parcels__v1" and layer["geometry_type"] == "POLYGON"
    assert {"name": "code", "type": "text"} in layer["fields"]
    assert layer["owner"] == "test planner" and layer["access_level"] == "public"
    assert report["repaired"] == 1 and report["repaired_lines"] == [5]
    assert report["failed_rows"] == [{"line": 6, "reason": "missing or empty geometry", "text": ""}]
    minx, miny, maxx, maxy = layer["bbox"]
    assert 121.10 < minx < maxx < 121.13 and 31.14 < miny < maxy < 31.16
    indexes = {r[0] for r in conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'layers'"
        " AND tablename = 'parcels__v1'")}
    assert any("gist (geom)" in i for i in indexes)


def test_csv_with_coordsys_and_gpkg_upload(client, planner, tmp_path):
    rows = [(121.115, 31.155, "一号站"), (121.12, 31.16, "二号站")]
    csv = csv_file(tmp_path / "stations.csv", rows)
    response = upload(client, planner, csv, "stations", coordsys="gcj02")
    assert response.status_code == 201, response.text
    assert response.json()["report"]["coordsys"] == "gcj02"
    response = upload(client, planner, gpkg_file(tmp_path / "p.gpkg"), "gk_parcels")
    assert response.status_code == 201, response.text
    assert "4549" in response.json()["layer"]["crs"]


def test_replace_and_append_keep_the_previous_version(client, planner, tmp_path):
    path = geojson_file(tmp_path / "a.geojson", parcels(3))
    assert upload(client, planner, path, "plots").status_code == 201
    assert upload(client, planner, path, "plots").status_code == 409
    replaced = upload(client, planner, geojson_file(tmp_path / "b.geojson", parcels(2)), "plots",
                      mode="replace").json()["layer"]
    assert replaced["version"] == 2 and replaced["feature_count"] == 2
    appended = upload(client, planner, path, "plots", mode="append").json()["layer"]
    assert appended["version"] == 3 and appended["feature_count"] == 5
    versions = client.get("/layers/plots/versions", headers=planner).json()["versions"]
    assert [(v["version"], v["mode"], v["feature_count"], v["current"]) for v in versions] == [
        (3, "append", 5, True), (2, "replace", 2, False), (1, "create", 3, False)]


def test_bad_upload_is_a_problem_and_writes_nothing(client, conn, planner, tmp_path):
    (tmp_path / "x.geojson").write_text("{not json")
    response = upload(client, planner, tmp_path / "x.geojson", "broken")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert conn.execute("SELECT count(*) FROM layer WHERE name = 'broken'").fetchone()[0] == 0
    bad_name = upload(client, planner, geojson_file(tmp_path / "a.geojson", parcels(1)), "Bad Name")
    assert bad_name.status_code == 400


def test_access_levels_filter_the_catalog(client, conn, planner, tmp_path):
    path = geojson_file(tmp_path / "a.geojson", parcels(2))
    for level in ("public", "internal", "restricted"):
        assert upload(client, planner, path, f"lyr_{level}", access_level=level).status_code == 201
    hotline = headers_for(conn, "hotline")

    def names(headers):
        return {la["name"] for la in client.get("/layers", headers=headers).json()["layers"]}

    assert names({}) == {"lyr_public"}
    assert names(hotline) == {"lyr_public", "lyr_internal"}
    assert names(planner) == {"lyr_public", "lyr_internal", "lyr_restricted"}
    assert client.get("/layers/lyr_internal").status_code == 403
    assert client.get("/layers/lyr_restricted", headers=hotline).status_code == 403
    before = conn.execute("SELECT count(*) FROM audit_log WHERE resource = 'layer/lyr_restricted'")
    n = before.fetchone()[0]
    assert client.get("/layers/lyr_restricted", headers=planner).status_code == 200
    after = conn.execute("SELECT count(*) FROM audit_log WHERE resource = 'layer/lyr_restricted'")
    assert after.fetchone()[0] == n + 1


def test_only_writers_upload_and_edit(client, conn, planner, tmp_path):
    path = geojson_file(tmp_path / "a.geojson", parcels(1))
    assert upload(client, {}, path, "nope").status_code == 403
    assert upload(client, headers_for(conn, "hotline"), path, "nope").status_code == 403
    assert upload(client, planner, path, "mine").status_code == 201
    edited = client.patch("/layers/mine", headers=planner,
                          json={"title": "我的图层", "access_level": "public"})
    assert edited.status_code == 200 and edited.json()["title"] == "我的图层"
    assert client.get("/layers/mine").status_code == 200
    assert client.delete("/layers/mine").status_code == 403
    assert client.delete("/layers/mine", headers=planner).status_code == 204
    assert client.get("/layers/mine").status_code == 404
    assert conn.execute("SELECT to_regclass('layers.mine__v1')").fetchone()[0] is None


def test_background_upload_is_a_job_with_progress(client, planner, tmp_path):
    """The job runs on its own pooled connection, after the request committed its row."""
    import time

    path = geojson_file(tmp_path / "bg.geojson", parcels(4))
    queued = upload(client, planner, path, "bg_parcels", background="true")
    assert queued.status_code == 202, queued.text
    href = queued.json()["href"]
    deadline = time.monotonic() + 30
    while (state := client.get(href, headers=planner).json())["status"] not in (
            "done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state["status"] == "done" and state["done"] == state["total"] == 3
    assert state["result"]["layer"]["feature_count"] == 4
    assert client.get(href).status_code == 403  # another caller's job
