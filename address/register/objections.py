"""Objections (异议) to an address: open → verifying → resolved | rejected, with history."""

import json
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest, Conflict, NotFound
from address.register.registry import get_address
from address.transactions import require_transaction

TRANSITIONS = {"open": {"verifying", "rejected"}, "verifying": {"resolved", "rejected"},
               "resolved": set(), "rejected": set()}


def _event(status: str, actor: str, note: str) -> str:
    """One history entry; SQL adds ``at`` (the transaction's time)."""
    return json.dumps({"status": status, "by": actor, "note": note}, ensure_ascii=False)


_APPEND = "history || jsonb_build_array(%s::jsonb || jsonb_build_object('at', now()))"


def file_objection(conn: Connection, *, code: str, reason: str, actor: str) -> dict[str, Any]:
    if not reason.strip():
        raise BadRequest("an objection needs a reason")
    get_address(conn, code=code)  # 404 for unknown codes; retired ones may be objected to
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """INSERT INTO objection (address_code, reason, submitted_by, history)
               VALUES (%s, %s, %s, jsonb_build_array(%s::jsonb || jsonb_build_object('at', now())))
               RETURNING *""",
            [code, reason.strip(), actor, _event("open", actor, reason.strip())]).fetchone()
    assert row is not None
    return dict(row)


def transition(conn: Connection, *, objection_id: int, status: str, actor: str,
               note: str = "") -> dict[str, Any]:
    require_transaction(conn, "objection transition")
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT status FROM objection WHERE id = %s FOR UPDATE",
                          [objection_id]).fetchone()
        if row is None:
            raise NotFound(f"no objection {objection_id}")
        if status not in TRANSITIONS.get(row["status"], set()):
            allowed = ", ".join(sorted(TRANSITIONS[row["status"]])) or "nothing"
            raise Conflict(f"objection {objection_id} is {row['status']}: it can go to {allowed}")
        updated = cur.execute(
            f"""UPDATE objection SET status = %s, updated_at = now(), history = {_APPEND}
                WHERE id = %s RETURNING *""",
            [status, _event(status, actor, note), objection_id]).fetchone()
    assert updated is not None
    return dict(updated)


def list_objections(conn: Connection, *, status: str | None, code: str | None,
                    limit: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT * FROM objection WHERE (%(s)s::text IS NULL OR status = %(s)s)
                 AND (%(c)s::text IS NULL OR address_code = %(c)s) ORDER BY id LIMIT %(l)s""",
            {"s": status, "c": code, "l": limit}).fetchall()
    return [dict(r) for r in rows]
