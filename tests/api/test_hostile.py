"""Hostile input answers 4xx problem+json, never 500, and nothing bad is saved: NUL and invalid
Unicode anywhere, paging past int8, odd digits, impossible tiles and rescales, bad quality rules,
broken files, files past the limits, a public key's big batch, a declared CRS the data does not
fit, a wrong method."""

import io
import json
import time
import zipfile

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import LimitSettings, Settings
from tests.layers.builders import (
    csv_file,
    feature,
    geojson_file,
    headers_for,
    parcels,
    square,
    upload,
)
from tests.tiles.test_raster import elevation  # noqa: F401 (a fixture)


def _problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert "/tmp" not in body["detail"] and "Traceback" not in body["detail"]
    return body


@pytest.mark.parametrize("send", [
    lambda c: c.get("/geocode", params={"address": "华志路\x001号"}),
    lambda c: c.get("/geocode?address=%ff%fe"),
    lambda c: c.get("/admin-areas/3101%0018"),
    lambda c: c.post("/hotline/tickets", content=b'{"text": "a\\u0000b"}',
                     headers={"Content-Type": "application/json"}),
    lambda c: c.post("/hotline/tickets", content=b'{"text": "\\ud800"}',
                     headers={"Content-Type": "application/json"}),
    lambda c: c.post("/hotline/tickets", content=b'{"text": "\xff"}',
                     headers={"Content-Type": "application/json"}),
    lambda c: c.post("/open311/v2/requests", data={"service_code": "x", "description": "a\x00"}),
])
def test_nul_and_invalid_unicode_are_400(client, send):
    _problem(send(client), 400)


def test_wrong_method_is_405_with_allow(client):
    body = _problem(client.delete("/healthz"), 405)
    assert body["title"] == "Method not allowed"
    assert client.delete("/healthz").headers["allow"] == "GET"


def test_paging_and_ids_out_of_range(client, conn):
    _problem(client.get("/addresses", params={"offset": 2**70}), 422)
    _problem(client.get("/open311/v2/requests.json", params={"page": 10**12},
                        headers=headers_for(conn, "hotline")), 400)
    _problem(client.get("/ogc/collections/addresses/items/²"), 404)
    _problem(client.get("/ogc/collections/addresses/items/99999999999999999999999"), 404)
    _problem(client.get("/ogc/collections/addresses/items", params={"crs": "EPSG:²"}), 400)


def test_impossible_raster_tiles_and_rescales(client, elevation):  # noqa: F811
    for z in (-1, 1_000_000):
        assert client.get(f"/raster/dem/{z}/0/0.png").status_code in (400, 404, 422)
    _problem(client.get("/raster/dem/12/99999/0.png"), 400)
    too_deep = elevation["maxzoom"] + 7
    _problem(client.get(f"/raster/dem/{too_deep}/0/0.png"), 404)  # far past its resolution
    for rescale in ("1.2.3,5", "1e999,2", "nan,1", ",", "1,"):
        _problem(client.get("/raster/dem/12/3425/1676.png", params={"rescale": rescale}), 400)


def test_bad_quality_rules_are_refused_and_not_saved(client, conn, tmp_path):
    steward = headers_for(conn, "steward")
    path = geojson_file(tmp_path / "plots.geojson", parcels(3))
    assert upload(client, steward, path, "plots").status_code == 201
    before = client.get("/quality/plots/rules", headers=steward).json()
    for rules in ([{"rule": "pattern", "field": "code", "regex": "(unclosed"}],
                  [{"rule": "range", "field": "name", "min": 1}],
                  [{"rule": "range", "field": "area_mu", "min": "one"}]):
        _problem(client.put("/quality/plots/rules", json=rules, headers=steward), 400)
    assert client.get("/quality/plots/rules", headers=steward).json() == before
    assert client.post("/quality/plots/runs", headers=steward).status_code == 201


def test_broken_files_are_400(client, conn, tmp_path):
    planner = headers_for(conn, "planner")
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("lng,lat,name\n")
    (tmp_path / "fake.zip").write_bytes(b"this is not a zip")
    (tmp_path / "bad.geojson").write_text("{not json")
    for name in ("empty.csv", "header.csv", "fake.zip", "bad.geojson"):
        _problem(upload(client, planner, tmp_path / name, "broken"), 400)


def test_names_equal_in_their_first_63_bytes_stay_two_columns(client, conn, tmp_path):
    planner = headers_for(conn, "planner")
    long = "很长的属性名称" * 4  # 84 bytes of UTF-8
    props = [{f"{long}甲": 1, f"{long}乙": 2}]
    path = geojson_file(tmp_path / "long.geojson",
                        [feature(square(121.1, 31.15).__geo_interface__, **props[0])])
    created = upload(client, planner, path, "longnames")
    assert created.status_code == 201, created.text
    fields = [f["name"] for f in created.json()["layer"]["fields"]]
    assert len(fields) == 2 and all(len(f.encode()) <= 63 for f in fields)


def test_declared_degrees_on_metre_data_is_400(client, conn, tmp_path):
    planner = headers_for(conn, "planner")
    path = csv_file(tmp_path / "metres.csv", [(500123.0, 3450123.0, "a"), (500200.0, 3450200, "b")])
    body = _problem(upload(client, planner, path, "metres", crs="EPSG:4326"), 400)
    assert "EPSG:4326" in body["detail"]


@pytest.fixture
def limited(database_url):
    limits = LimitSettings(upload_mb=1, features=3, vertices=50, inflated_mb=5,
                           batch_mb_public=1, batch_rows_public=10)
    with TestClient(create_app(Settings(limits=limits), url=database_url)) as test_client:
        yield test_client


def test_limits(limited, conn, tmp_path):
    planner, public = headers_for(conn, "planner"), headers_for(conn, "public")
    many = geojson_file(tmp_path / "many.geojson", parcels(4))
    _problem(upload(limited, planner, many, "many"), 413)
    ring = [[121.1 + 0.001 * i, 31.15 + 0.0001 * (i % 2)] for i in range(60)]
    spiky = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    path = geojson_file(tmp_path / "spiky.geojson", [feature(spiky)])
    _problem(upload(limited, planner, path, "spiky"), 413)
    big = tmp_path / "big.geojson"
    big.write_text(json.dumps({"type": "FeatureCollection", "features": [], "pad": "x" * 2**21}))
    _problem(upload(limited, planner, big, "big"), 413)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.shp", b"\0" * (8 * 2**20))
    _problem(upload(limited, planner, bomb, "bomb"), 413)
    rows = "text\n" + "上海市青浦区华志路1号\n" * 20
    batch = limited.post("/geocode/batch", headers=public,
                         files={"file": ("b.csv", io.BytesIO(rows.encode()))})
    _problem(batch, 413)
    two_mb = "text\n" + "华志路1号\n" * (2**21 // 14)
    _problem(limited.post("/geocode/batch", headers=public,
                          files={"file": ("b.csv", io.BytesIO(two_mb.encode()))}), 413)
    accepted = limited.post("/geocode/batch", headers=planner,
                            files={"file": ("b.csv", io.BytesIO(rows.encode()))})
    assert accepted.status_code == 202
    href = accepted.json()["href"]
    for _ in range(300):  # let the job finish before the database goes
        if limited.get(href, headers=planner).json()["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
