"""A write that fails changes nothing; database errors answer problem+json, never 500.

Each test has its own database (cloned from the template), so a failure is injected by a trigger
that raises at a chosen statement: the earlier statements of the same request have run, and must
be rolled back with it.
"""

import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from api.cli.main import app as cli
from api.deps import WriteConn
from layers.hotline.rules import load_rules
from layers.hotline.tickets import TicketRequest, file_ticket
from tests.district import QINGPU
from tests.layers.builders import geojson_file, headers_for, parcels, upload


def fail_on(conn, table: str, *, event: str = "INSERT", when: str = "TRUE",
            errcode: str = "check_violation", deferred: bool = False) -> None:
    """Make ``event`` on ``table`` raise ``errcode`` where ``when`` holds (at commit if
    ``deferred``)."""
    conn.execute(f"""CREATE FUNCTION injected_fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF {when} THEN RAISE EXCEPTION 'injected failure' USING ERRCODE = '{errcode}';
        END IF; RETURN NEW; END $$""")
    timing = ("AFTER {event} ON {table} DEFERRABLE INITIALLY DEFERRED" if deferred
              else "BEFORE {event} ON {table}").format(event=event, table=table)
    kind = "CONSTRAINT TRIGGER" if deferred else "TRIGGER"
    conn.execute(f"CREATE {kind} fail_{table} {timing} FOR EACH ROW"
                 f" EXECUTE FUNCTION injected_fail_{table}()")


def _count(conn, sql: str, *params) -> int:
    return conn.execute(sql, params).fetchone()[0]


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "injected failure" not in body["detail"] and "ERROR" not in body["detail"]
    return body


def test_rules_with_an_overflowing_priority_are_refused_and_the_table_stays(client, conn):
    before = [r.as_dict() for r in load_rules(conn)]
    assert len(before) == 15
    rules = [{"unit": "甲单位"}, {"unit": "乙单位", "priority": 2**31}]
    body = _problem(client.put("/hotline/rules", json=rules, headers=headers_for(conn, "admin")),
                    400)
    assert "out of range" in body["detail"]
    assert [r.as_dict() for r in load_rules(conn)] == before
    assert _count(conn, "SELECT count(*) FROM audit_log WHERE resource = 'hotline/rules'") == 0


def test_a_reroute_that_fails_half_way_reroutes_nothing(client, conn):
    ids = [file_ticket(conn, req=TicketRequest(service_code="sanitation", description=text),
                       districts=QINGPU)
           for text in ("华徐公路988号门口垃圾", "华志路559号门口垃圾")]
    units_before = conn.execute("SELECT id, responsible_unit FROM ticket WHERE id = ANY(%s)"
                                " ORDER BY id", [ids]).fetchall()
    conn.execute("UPDATE hotline_rule SET unit = '{town_name}综合执法队'"
                 " WHERE service_code = 'sanitation'")  # every sanitation ticket moves
    fail_on(conn, "ticket_history", when="(SELECT count(*) FROM ticket_history) >= 1")
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    _problem(client.post("/hotline/reroute", params={"since": since},
                         headers=headers_for(conn, "admin")), 400)
    assert conn.execute("SELECT id, responsible_unit FROM ticket WHERE id = ANY(%s) ORDER BY id",
                        [ids]).fetchall() == units_before
    assert _count(conn, "SELECT count(*) FROM ticket_history") == 0
    assert _count(conn, "SELECT count(*) FROM audit_log WHERE action = 'reroute'") == 0


def test_a_layer_upload_that_fails_half_way_leaves_the_layer_as_it_was(client, conn, tmp_path):
    planner = headers_for(conn, "planner")
    first = upload(client, planner, geojson_file(tmp_path / "a.geojson", parcels(3)), "plots")
    assert first.status_code == 201, first.text
    tables = _count(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'layers'")
    fail_on(conn, "layer_version")  # the last statement: the version table is written by then
    path = geojson_file(tmp_path / "b.geojson", parcels(5))
    _problem(upload(client, planner, path, "plots", mode="replace"), 400)
    _problem(upload(client, planner, path, "fresh"), 400)
    layer = client.get("/layers/plots", headers=planner).json()
    assert layer["version"] == 1 and layer["feature_count"] == 3
    assert client.get("/layers/fresh", headers=planner).status_code == 404
    assert _count(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'layers'") == tables
    assert _count(conn, "SELECT count(*) FROM audit_log WHERE resource = 'layer/plots'") == 1


def test_an_address_import_that_fails_half_way_imports_nothing(cli_runner, conn, tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("text,lng,lat\n青浦区华志路1号,121.1098,31.1443\n青浦区华志路2号,121.1099,"
                    "31.1444\n青浦区华志路3号,121.1100,31.1445\n", encoding="utf-8")
    addresses = _count(conn, "SELECT count(*) FROM address")
    imports = _count(conn, "SELECT count(*) FROM address_import")
    fail_on(conn, "address_source_record", when="NEW.line_no = 3", errcode="raise_exception")
    result = cli_runner.invoke(cli, ["import", "addresses", str(path), "--source", "t_half"])
    assert result.exit_code != 0
    assert _count(conn, "SELECT count(*) FROM address_source_record WHERE source = 't_half'") == 0
    assert _count(conn, "SELECT count(*) FROM address") == addresses
    assert _count(conn, "SELECT count(*) FROM address_import") == imports


def test_a_conflict_resolution_that_fails_half_way_changes_nothing(client, conn):
    code_of = "SELECT code FROM address WHERE canonical LIKE %s AND valid_to IS NULL LIMIT 1"
    into = conn.execute(code_of, ["%明珠路416弄"]).fetchone()[0]
    merged = conn.execute(code_of, ["%华志路559号"]).fetchone()[0]
    conflict = conn.execute("INSERT INTO address_conflict (kind, address_code)"
                            " VALUES ('same_point', %s) RETURNING id", [merged]).fetchone()[0]
    aliases = _count(conn, "SELECT count(*) FROM address_alias")
    fail_on(conn, "address_conflict", event="UPDATE")  # after the merge wrote its rows
    resolved = client.post(f"/conflicts/{conflict}/resolve", headers=headers_for(conn, "steward"),
                           json={"action": "merge", "into_code": into})
    _problem(resolved, 400)
    assert conn.execute("SELECT status, version FROM address WHERE code = %s AND valid_to IS NULL",
                        [merged]).fetchone() == ("active", 1)
    assert _count(conn, "SELECT count(*) FROM address_alias") == aliases
    assert _count(conn, "SELECT count(*) FROM address_conflict WHERE id = %s AND status = 'open'",
                  conflict) == 1
    assert _count(conn, "SELECT count(*) FROM audit_log WHERE resource LIKE 'conflict/%%'") == 0


def test_a_failed_commit_never_follows_a_success(client, conn):
    """The transaction commits before the answer is sent: a commit that fails (here a deferred
    constraint on the audit row) answers an error, and the key it would have made is not kept."""
    admin = headers_for(conn, "admin")
    keys = _count(conn, "SELECT count(*) FROM api_key")
    fail_on(conn, "audit_log", errcode="unique_violation", deferred=True)
    body = _problem(client.post("/keys", json={"role": "planner"}, headers=admin), 409)
    assert body["detail"].startswith("this exists already")
    assert _count(conn, "SELECT count(*) FROM api_key") == keys


@pytest.fixture
def sql_client(database_url):
    """The app with one more route that runs the SQL it is given inside a write request."""
    from api.app import create_app

    app = create_app(url=database_url)

    @app.post("/test-sql")
    def run_sql(conn: WriteConn, statement: str) -> dict[str, str]:
        conn.execute(statement)
        return {"ran": statement}

    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("statement, status, detail", [
    ("INSERT INTO hotline_rule (unit, priority) VALUES ('x', 99999999999)", 400, "out of range"),
    ("SELECT 'abc'::int", 400, "wrong type"),
    ("INSERT INTO hotline_rule (service_code, unit) VALUES (repeat('x', 40), 'x')", 400,
     "too long"),
    ("INSERT INTO hotline_rule (unit) VALUES (NULL)", 400, "(column unit)"),
    ("INSERT INTO api_key (prefix, key_hash, role) SELECT prefix, key_hash, role FROM api_key"
     " LIMIT 1", 409, "exists already (constraint"),
    ("INSERT INTO ticket_history (ticket_id, reason, assignment) VALUES (-1, 'x', '{}')", 409,
     "refers to something missing"),
])
def test_database_errors_are_problems_not_500(sql_client, conn, statement, status, detail):
    headers_for(conn, "public")  # at least one key, for the unique case
    body = _problem(sql_client.post("/test-sql", params={"statement": statement}), status)
    assert detail in body["detail"]


def test_lost_connections_are_replaced_before_a_request_sees_them(client, conn):
    assert client.get("/healthz").status_code == 200
    killed = [pid for (pid,) in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()")]
    conn.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) pid", [killed])
    for _ in range(100):  # terminate only signals: wait until the backends have gone
        if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)",
                            [killed]).fetchone():
            break
        time.sleep(0.05)
    # the pool checks a connection before handing it out: the server is up, so no 503
    assert client.get("/healthz").status_code == 200


def test_an_unreachable_database_is_503(client):
    app = client.app
    working = app.state.pool
    app.state.pool = ConnectionPool("postgresql://127.0.0.1:1/nothing", min_size=1, timeout=0.5,
                                    open=True, reconnect_timeout=1)
    try:
        down = client.get("/healthz")
        _problem(down, 503)
        assert down.headers["retry-after"].isdigit()
    finally:
        app.state.pool.close()
        app.state.pool = working


def test_writes_leave_their_audit_row(client, conn):
    """Ticket create and status change, objections: each write commits with its audit row."""
    hotline = headers_for(conn, "hotline")
    created = client.post("/hotline/tickets", headers=hotline, json={
        "service_code": "sanitation", "description": "华徐公路988号门口垃圾"})
    assert created.status_code == 201, created.text
    ticket = created.json()["id"]
    assert client.patch(f"/hotline/tickets/{ticket}", headers=hotline,
                        json={"status": "closed"}).status_code == 200
    code = client.get("/geocode", params={"address": "青浦区淀西村"}).json()["best"]["code"]
    objection = client.post(f"/addresses/{code}/objections", json={"reason": "位置不对"})
    assert objection.status_code == 201
    rows = conn.execute("SELECT action, resource FROM audit_log WHERE resource = ANY(%s)"
                        " ORDER BY id", [[f"ticket/{ticket}", f"address/{code}"]]).fetchall()
    assert rows == [("create", f"ticket/{ticket}"), ("closed", f"ticket/{ticket}"),
                    ("object", f"address/{code}")]


def test_a_road_rename_that_fails_at_its_audit_row_changes_nothing(client, conn):
    steward = headers_for(conn, "steward")
    road = client.get("/roads", params={"q": "华志路"}).json()["items"][0]
    tables = ("place", "address", "address_alias", "place_history")
    before = {t: _count(conn, f"SELECT count(*) FROM {t}") for t in tables}
    fail_on(conn, "audit_log", when="NEW.action = 'rename'")
    _problem(client.post(f"/roads/{road['code']}/rename", headers=steward,
                         json={"name": "华智路"}), 400)
    assert {t: _count(conn, f"SELECT count(*) FROM {t}") for t in tables} == before
    assert client.get(f"/roads/{road['code']}").json()["name"] == "华志路"
