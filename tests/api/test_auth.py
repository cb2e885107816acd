"""Keys hashed at rest, roles, and the audit trail for restricted reads."""

import pytest

from address.errors import BadRequest, Unauthorized
from api.auth import authenticate, create_key


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _an_address_code(conn) -> str:
    return conn.execute("SELECT code FROM address ORDER BY code LIMIT 1").fetchone()[0]


def test_keys_are_hashed_at_rest(conn):
    new = create_key(conn, role="steward", name="test")
    stored = conn.execute("SELECT prefix, key_hash FROM api_key WHERE id = %s", [new.id]).fetchone()
    assert new.key.startswith(f"dz_{stored[0]}_")
    assert new.key not in stored and len(stored[1]) == 64
    assert authenticate(conn, new.key).role == "steward"


@pytest.mark.parametrize("bad", ["nonsense", "dz_00000000_secret"])
def test_bad_keys_are_rejected(conn, bad):
    with pytest.raises(Unauthorized):
        authenticate(conn, bad)


def test_wrong_secret_for_a_real_prefix(conn):
    new = create_key(conn, role="admin")
    with pytest.raises(Unauthorized):
        authenticate(conn, new.key[:-2] + "xx")


def test_unknown_role(conn):
    with pytest.raises(BadRequest):
        create_key(conn, role="root")


def test_anonymous_is_public(client):
    assert client.get("/me").json() == {"role": "public", "name": "anonymous"}


def test_bad_key_over_http_is_401(client):
    response = client.get("/me", headers=_bearer("dz_nope_nope"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_restricted_read_needs_a_role_and_is_audited(client, conn):
    code = _an_address_code(conn)
    assert client.get(f"/addresses/{code}/sources").status_code == 403
    planner = create_key(conn, role="planner")
    assert client.get(f"/addresses/{code}/sources", headers=_bearer(planner.key)).status_code == 403

    steward = create_key(conn, role="steward", name="data team")
    response = client.get(f"/addresses/{code}/sources", headers={"X-API-Key": steward.key})
    assert response.status_code == 200
    assert response.json()["records"][0]["source"] == "amap_covid2022"
    logged = conn.execute(
        "SELECT role, action, resource FROM audit_log WHERE key_id = %s", [steward.id]).fetchall()
    assert logged == [("steward", "read", f"address/{code}/sources")]


def test_admin_manages_keys(client, conn):
    admin = create_key(conn, role="admin")
    created = client.post("/keys", json={"role": "hotline", "name": "12345"},
                          headers=_bearer(admin.key))
    assert created.status_code == 201
    hotline_key = created.json()["key"]
    assert client.get("/me", headers=_bearer(hotline_key)).json()["role"] == "hotline"
    escalate = client.post("/keys", json={"role": "admin"}, headers=_bearer(hotline_key))
    assert escalate.status_code == 403
    listed = client.get("/keys", headers=_bearer(admin.key)).json()
    assert all("key_hash" not in k for k in listed)
    revoked = client.delete(f"/keys/{created.json()['id']}", headers=_bearer(admin.key))
    assert revoked.status_code == 204
    assert client.get("/me", headers=_bearer(hotline_key)).status_code == 401
    trail = client.get("/audit-log", headers=_bearer(admin.key)).json()
    assert [e["action"] for e in trail if e["action"] != "denied"][:2] == ["revoke", "create"]
    assert {e["action"] for e in trail[:2]} == {"denied", "revoke"}  # the revoked key's 401


def test_address_reads(client, conn):
    code = _an_address_code(conn)
    one = client.get(f"/addresses/{code}").json()
    assert one["code"] == code and one["history"][0]["version"] == 1
    assert one["canonical"].startswith("上海市青浦区")
    page = client.get("/addresses", params={"town_code": "310118002", "limit": 5}).json()
    assert page["total"] > 5 and len(page["items"]) == 5
    assert {i["town_code"] for i in page["items"]} == {"310118002"}
    assert client.get("/addresses/nope/sources", headers={}).status_code == 403
