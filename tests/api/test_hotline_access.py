"""Access by role, route by route, for every role (the table in docs/hotline.md): anonymous and
roles without ticket access see only aggregated cells; planner and steward the masked text;
hotline and admin the original, audited; every refusal is audited too."""

import pytest

from api.auth import create_key

TEXT = "我叫王建国，华徐公路988号门口垃圾，电话13812345678"
PHONE = "13812345678"
NO_TICKETS = ("anonymous", "public", "energy", "enterprise")
MASKED = ("planner", "steward")
ORIGINAL = ("hotline", "admin")
ROLES = NO_TICKETS + MASKED + ORIGINAL


def _headers(conn, role):
    if role == "anonymous":
        return {}
    return {"Authorization": f"Bearer {create_key(conn, role=role, name=role).key}"}


@pytest.fixture
def tickets(client, conn):
    """Three tickets at one door (a hot-spot cell of three)."""
    headers = _headers(conn, "hotline")
    ids = []
    for _ in range(3):
        created = client.post("/hotline/tickets", headers=headers,
                              json={"service_code": "sanitation", "description": TEXT,
                                    "lng": 121.2885, "lat": 31.1695})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


def _reads(ticket_id):
    return {
        "tickets": "/hotline/tickets?limit=5",
        "ticket": f"/hotline/tickets/{ticket_id}",
        "points": "/hotline/tickets.geojson",
        "repeats": "/hotline/hotspots/repeats",
        "clusters": "/hotline/hotspots/clusters",
        "open311 list": "/open311/v2/requests",
        "open311 one": f"/open311/v2/requests/{ticket_id}.json",
        "open311 xml": f"/open311/v2/requests/{ticket_id}.xml",
    }


def _denied_rows(conn, role):
    return conn.execute("SELECT resource, detail->>'reason' FROM audit_log"
                        " WHERE action = 'denied' AND role = %s",
                        ["public" if role == "anonymous" else role]).fetchall()


@pytest.mark.parametrize("role", ROLES)
def test_ticket_reads_by_role(client, conn, tickets, role):
    headers = _headers(conn, role)
    for name, url in _reads(tickets[0]).items():
        response = client.get(url, headers=headers)
        body = response.text
        if role in NO_TICKETS:
            assert response.status_code == 403, (name, body)
            assert response.headers["content-type"].startswith("application/problem+json")
        else:
            assert response.status_code == 200, (name, body)
            if name in ("tickets", "ticket"):
                item = response.json()
                item = item["items"][0] if "items" in item else item
                assert (item["gps_location"] is not None) == (role in ORIGINAL)
            if name in ("tickets", "ticket", "open311 list", "open311 one", "open311 xml"):
                assert (PHONE in body) == (role in ORIGINAL), name
                assert "王建国" not in body or role in ORIGINAL
    if role in NO_TICKETS:
        denied = _denied_rows(conn, role)
        assert len(denied) == len(_reads(tickets[0]))
        assert all("roles" in reason for _, reason in denied)


@pytest.mark.parametrize("role", ORIGINAL)
def test_original_reads_are_audited(client, conn, tickets, role):
    headers = _headers(conn, role)
    client.get(f"/hotline/tickets/{tickets[0]}", headers=headers)
    client.get("/open311/v2/requests", params={"service_request_id": ",".join(map(str, tickets))},
               headers=headers)
    rows = conn.execute("SELECT resource, detail FROM audit_log WHERE action = 'read'"
                        " AND role = %s ORDER BY id", [role]).fetchall()
    assert rows[0] == (f"ticket/{tickets[0]}", {"ticket_ids": [tickets[0]]})
    assert rows[1] == ("open311/requests", {"ticket_ids": tickets})


@pytest.mark.parametrize("role", MASKED)
def test_masked_reads_are_not_audited_as_originals(client, conn, tickets, role):
    ticket = client.get(f"/hotline/tickets/{tickets[0]}", headers=_headers(conn, role)).json()
    assert ticket["text_access"] == "masked" and PHONE not in ticket["description"]
    assert not conn.execute("SELECT 1 FROM audit_log WHERE action = 'read' AND role = %s",
                            [role]).fetchall()


@pytest.mark.parametrize("role", ROLES)
def test_cells_are_for_everyone_and_hide_small_ones(client, conn, tickets, role):
    cells = client.get("/hotline/hotspots/cells", headers=_headers(conn, role)).json()
    assert [f["properties"]["count"] for f in cells["features"]] == [3]
    assert "description" not in str(cells) and PHONE not in str(cells)
    hotline = _headers(conn, "hotline")
    client.post("/hotline/tickets", headers=hotline,
                json={"service_code": "noise", "description": "凤溪路1号晚上很吵"})
    again = client.get("/hotline/hotspots/cells", headers=_headers(conn, role)).json()
    assert all(f["properties"]["count"] >= 3 for f in again["features"])


@pytest.mark.parametrize("role", ROLES)
def test_writes_by_role(client, conn, tickets, role):
    headers = _headers(conn, role)
    may_write = role in ORIGINAL
    posted = client.post("/hotline/tickets", headers=headers,
                         json={"service_code": "water", "description": "华徐公路988号积水"})
    assert posted.status_code == (201 if may_write else 403)
    filed = client.post("/open311/v2/requests", headers=headers,
                        data={"service_code": "water", "description": "华徐公路988号积水"})
    assert filed.status_code == (201 if may_write else 403)
    patched = client.patch(f"/hotline/tickets/{tickets[0]}", headers=headers,
                           json={"stage": "处置"})
    assert patched.status_code == (200 if may_write else 403)
    if not may_write:
        assert len(_denied_rows(conn, role)) == 3


@pytest.mark.parametrize("authorization", [
    "dz_abcd_secret",  # the key without Bearer
    "Basic dXNlcjpwYXNz",
    "Bearer",
    "Bearer dz_00000000_unknown",
    "Bearer two words",
])
def test_a_malformed_or_unknown_authorization_is_401(client, conn, tickets, authorization):
    response = client.get("/open311/v2/services", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    listed = client.get("/hotline/tickets", headers={"Authorization": authorization})
    assert listed.status_code == 401
    rows = conn.execute("SELECT key_id, resource, detail->>'status' FROM audit_log"
                        " WHERE action = 'denied' ORDER BY id").fetchall()
    assert rows == [(None, "/open311/v2/services", "401"), (None, "/hotline/tickets", "401")]
