"""Personal data at rest and in exports: a dump shows no original text, rotation seals every row
again, exports name the key that made them, the access log masks query strings."""

import base64
import logging
import subprocess

import pytest

from api.access_log import MaskQueryStrings, masked_target
from api.auth import create_key
from api.secret import app_keyring, rotate_secret
from layers.hotline.crypto import configure, current_keyring, key_id, load_keyring
from layers.hotline.sealed import sealed_key_ids
from layers.hotline.tickets import TicketRequest, file_ticket, original_text
from layers.hotline.watermark import identify
from tests.layers.builders import geojson_file, parcels, upload

PLANTED = ("13900002222", "张建国", "310118198001011236", "zhangjg@163.com")
TEXT = "市民张建国反映华志路559号门口垃圾，电话13900002222，身份证310118198001011236"


@pytest.fixture
def restore_keyring():
    before = current_keyring()
    yield
    configure(before)


def _file(client, conn, role="hotline"):
    key = create_key(conn, role=role, name=f"{role} desk")
    body = {"service_code": "sanitation", "description": TEXT,
            "address_string": "华志路559号，联系人张建国 zhangjg@163.com"}
    created = client.post("/hotline/tickets", json=body,
                          headers={"Authorization": f"Bearer {key.key}"})
    assert created.status_code == 201, created.text
    return key, created.json()


def test_a_database_dump_shows_no_original(client, conn, database_url):
    _, ticket = _file(client, conn)
    assert "张**" in ticket["description"] and "13900002222" not in ticket["description"]
    dump = subprocess.run(["pg_dump", "--data-only", "--table=ticket", "--table=audit_log",
                           database_url], capture_output=True, text=True, check=True).stdout
    assert "COPY public.ticket" in dump
    assert [p for p in PLANTED if p in dump] == []
    opened = original_text(conn, ticket_id=ticket["id"])
    assert opened["description"] == TEXT and "zhangjg@163.com" in opened["address_string"]


def test_rotation_seals_every_row_again(conn, tmp_path, restore_keyring):
    old = load_keyring(directory=tmp_path)
    with conn.transaction():
        ids = [file_ticket(conn, req=TicketRequest("sanitation", TEXT,
                                                   contact={"phone": "13900002222"}),
                           districts=("310118",), keyring=old) for _ in range(3)]
    report = rotate_secret(conn, old)
    new = current_keyring()
    assert report["resealed"] == 6 and report["new_key"] == new.current != old.current
    assert set(new.keys) == {new.current} == set(load_keyring(directory=tmp_path).keys)
    assert set(sealed_key_ids(conn)) <= {new.current, app_keyring().current}
    configure(new)
    assert original_text(conn, ticket_id=ids[0])["contact"] == {"phone": "13900002222"}


def test_rotate_secret_command_with_an_environment_key(cli_runner, client, conn, monkeypatch,
                                                       restore_keyring):
    _file(client, conn)
    current = current_keyring()
    old = base64.urlsafe_b64encode(current.keys[current.current]).decode()
    monkeypatch.setenv("DIZHI_SECRET_KEY", f"a fresh secret,{old}")
    from api.cli.main import app
    from api.settings import get_settings

    get_settings.cache_clear()
    result = cli_runner.invoke(app, ["keys", "rotate-secret"])
    assert result.exit_code == 0, result.output
    assert set(sealed_key_ids(conn)) == {current_keyring().current}
    assert current_keyring().current == key_id(current_keyring().keys[current_keyring().current])
    get_settings.cache_clear()


def test_csv_export_names_the_key_that_made_it(client, conn, cli_runner, tmp_path):
    key, _ = _file(client, conn)
    headers = {"Authorization": f"Bearer {key.key}"}
    got = client.get("/hotline/tickets.csv", headers=headers)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "13900002222" not in got.text and "张**" in got.text.replace("\u2060", "")
    path = tmp_path / "tickets.csv"
    path.write_bytes(got.content)
    from api.cli.main import app

    found = cli_runner.invoke(app, ["watermark", "identify", str(path)])
    assert found.exit_code == 0, found.output
    assert f'"key_id": {key.id}' in found.output and '"name": "hotline desk"' in found.output
    rows = conn.execute("SELECT role FROM audit_log WHERE action = 'export'").fetchall()
    assert rows == [("hotline",)]


def test_geojson_export_is_marked_and_restricted(client, conn):
    key, _ = _file(client, conn)
    assert client.get("/hotline/export/tickets.geojson").status_code in (401, 403)
    planner = create_key(conn, role="planner").key
    assert client.get("/hotline/tickets.csv",
                      headers={"Authorization": f"Bearer {planner}"}).status_code == 403
    got = client.get("/hotline/export/tickets.geojson",
                     headers={"Authorization": f"Bearer {key.key}"})
    assert got.status_code == 200 and got.json()["features"]
    assert "\u2060" in got.text


def test_access_log_masks_query_strings():
    target = "/geocode?address=华志路559号&note=电话13900002222，张先生"
    masked = masked_target(target)
    assert "13900002222" not in masked and "%E5%8D%8E" in masked and "***********" in masked
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", target, "1.1",
                                                           200), None)
    assert MaskQueryStrings().filter(record)
    assert "13900002222" not in record.getMessage() and "/geocode?" in record.getMessage()
    assert masked_target("/health") == "/health"


def test_the_app_installs_the_access_log_filter(client):
    filters = logging.getLogger("uvicorn.access").filters
    assert any(isinstance(f, MaskQueryStrings) for f in filters)


def test_restricted_layer_features_carry_the_readers_key(client, conn, planner, tmp_path):
    path = geojson_file(tmp_path / "s.geojson", parcels(2))
    assert upload(client, planner, path, "secret", access_level="restricted").status_code == 201
    body = client.get("/ogc/collections/secret/items", headers=planner)
    assert body.status_code == 200 and body.json()["numberReturned"] == 2
    found = identify(current_keyring(), body.text)
    planner_ids = [r[0] for r in conn.execute("SELECT id FROM api_key WHERE role = 'planner'")]
    assert found["key_id"] in planner_ids
    public = geojson_file(tmp_path / "p.geojson", parcels(2))
    assert upload(client, planner, public, "open", access_level="public").status_code == 201
    assert identify(current_keyring(), client.get("/ogc/collections/open/items").text
                    )["key_id"] is None
