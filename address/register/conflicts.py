"""Conflicts between sources and the register, and how stewards resolve them.

- ``accept_source``: the address takes the point of one source record (a new version);
- ``merge``: the address is retired into another one, its text kept as an alias there and its
  source records moved over;
- ``retire``: the address is retired;
- ``reject``: the conflict is dismissed; nothing changes.
"""

from typing import Any, Literal

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest, Conflict, NotFound
from address.register.registry import add_alias, get_address, new_version, retire_address
from address.transactions import require_transaction

Action = Literal["accept_source", "merge", "retire", "reject"]
ConflictKind = Literal["far_apart", "same_point", "outside_admin", "duplicate"]


def list_conflicts(conn: Connection, *, status: str | None, kind: str | None,
                   limit: int, offset: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT c.id, c.kind, c.address_code, c.record_ids, c.detail, c.status, c.reviewer,
                      c.note, c.created_at, c.resolved_at, a.canonical
               FROM address_conflict c
               LEFT JOIN address a ON a.code = c.address_code AND a.valid_to IS NULL
               WHERE (%(status)s::text IS NULL OR c.status = %(status)s)
                 AND (%(kind)s::text IS NULL OR c.kind = %(kind)s)
               ORDER BY c.id LIMIT %(limit)s OFFSET %(offset)s""",
            {"status": status, "kind": kind, "limit": limit, "offset": offset}).fetchall()
    return [dict(r) for r in rows]


def _open_conflict(conn: Connection, conflict_id: int) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT * FROM address_conflict WHERE id = %s FOR UPDATE",
                          [conflict_id]).fetchone()
    if row is None:
        raise NotFound(f"no conflict {conflict_id}")
    if row["status"] != "open":
        raise Conflict(f"conflict {conflict_id} is already {row['status']}")
    return dict(row)


def _accept_source(conn: Connection, code: str, record_id: int | None,
                   record_ids: list[int]) -> None:
    if record_id is None or record_id not in record_ids:
        raise BadRequest(f"accept_source needs record_id, one of {record_ids}")
    point = conn.execute("SELECT ST_X(point), ST_Y(point) FROM address_source_record"
                         " WHERE id = %s AND point IS NOT NULL", [record_id]).fetchone()
    if point is None:
        raise BadRequest(f"source record {record_id} has no point")
    new_version(conn, code=code, changes={"lng": point[0], "lat": point[1]})


def _merge(conn: Connection, code: str, into_code: str | None) -> None:
    if not into_code or into_code == code:
        raise BadRequest("merge needs into_code, another current address")
    target = get_address(conn, code=into_code)
    if target["status"] == "retired":
        raise BadRequest(f"{into_code} is retired")
    source = get_address(conn, code=code)
    add_alias(conn, code=into_code, text=source["canonical"], normalized=source["local_key"])
    conn.execute("UPDATE address_source_record SET address_code = %s WHERE address_code = %s",
                 [into_code, code])
    new_version(conn, code=code, changes={"status": "retired",
                                          "tags": {**source["tags"], "merged_into": into_code}})


def resolve_conflict(
    conn: Connection, *, conflict_id: int, action: Action, reviewer: str, note: str = "",
    record_id: int | None = None, into_code: str | None = None,
) -> dict[str, Any]:
    require_transaction(conn, "resolve_conflict")
    conflict = _open_conflict(conn, conflict_id)
    code = conflict["address_code"]
    if action != "reject" and code is None:
        raise BadRequest("this conflict has no address to change; reject it")
    if action == "accept_source":
        _accept_source(conn, code, record_id, conflict["record_ids"])
    elif action == "merge":
        _merge(conn, code, into_code)
    elif action == "retire":
        retire_address(conn, code=code)
    conn.execute(
        """UPDATE address_conflict SET status = %s, reviewer = %s, note = %s,
               resolved_at = now(), detail = detail || %s::jsonb WHERE id = %s""",
        ["rejected" if action == "reject" else "accepted", reviewer, note,
         f'{{"action": "{action}"}}', conflict_id])
    return {"id": conflict_id, "action": action,
            "status": "rejected" if action == "reject" else "accepted"}
