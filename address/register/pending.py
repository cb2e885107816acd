"""Pending addresses: imported rows that would make a new road or place (or one a typo away from
a known one), held for a steward. Approving imports the row as if from a trusted source (its
place is created); rejecting keeps it out. Either way the row is kept with who decided and why.
"""

import json
from collections import defaultdict
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import Conflict, NotFound
from address.register.admin import admin_codes_of_points
from address.register.imports.chunk import ImportOptions, decide_rows
from address.register.imports.rows import parse_rows
from address.register.sources import SourceRow
from address.transactions import require_transaction

_COLUMNS = """id, import_id, source, line_no, raw_text, reason, place_kind, place_name,
    similar_to, district_code, lng, lat, status, address_code, reviewer, note, created_at,
    resolved_at"""


def list_pending(conn: Connection, *, status: str | None, place: str | None, limit: int,
                 offset: int) -> tuple[int, list[dict[str, Any]]]:
    where = """(%(status)s::text IS NULL OR status = %(status)s)
        AND (%(place)s::text IS NULL OR place_name = %(place)s)"""
    params = {"status": status, "place": place, "limit": limit, "offset": offset}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"SELECT count(*) AS n FROM address_pending WHERE {where}",
                            params).fetchone()
        rows = cur.execute(f"SELECT {_COLUMNS} FROM address_pending WHERE {where}"
                           " ORDER BY id LIMIT %(limit)s OFFSET %(offset)s", params).fetchall()
    return (total or {"n": 0})["n"], [dict(r) for r in rows]


def _open(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = [dict(r) for r in cur.execute(
            f"SELECT {_COLUMNS} FROM address_pending WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [ids]).fetchall()]
    missing = set(ids) - {r["id"] for r in rows}
    if missing:
        raise NotFound(f"no pending address {min(missing)}")
    closed = [r for r in rows if r["status"] != "open"]
    if closed:
        raise Conflict(f"pending address {closed[0]['id']} is already {closed[0]['status']}")
    return rows


def _resolve(conn: Connection, ids: list[int], status: str, reviewer: str, note: str,
             codes: dict[int, str | None]) -> None:
    conn.execute(
        """UPDATE address_pending SET status = %s, reviewer = %s, note = %s, resolved_at = now(),
               address_code = (%s::jsonb ->> id::text) WHERE id = ANY(%s)""",
        [status, reviewer, note, _codes_json(codes), ids])


def _codes_json(codes: dict[int, str | None]) -> str:
    return json.dumps({str(k): v for k, v in codes.items()})


def approve_pending(conn: Connection, *, ids: list[int], reviewer: str,
                    note: str = "") -> list[dict[str, Any]]:
    """Import the rows with their new places (as a trusted source would); the rows as now."""
    require_transaction(conn, "approve_pending")
    rows = _open(conn, ids)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["source"], row["district_code"]].append(row)
    codes: dict[int, str | None] = {}
    for (source, district), group in groups.items():
        options = ImportOptions(source=source, districts=(district,), review_new_places=False)
        staged = [SourceRow(r["line_no"] or 0, r["raw_text"], r["lng"], r["lat"]) for r in group]
        points = {r.line: (r.x, r.y) for r in staged if r.x is not None and r.y is not None}
        items = parse_rows(staged, admin_codes_of_points(conn, points), options.districts,
                           district)
        outcomes = decide_rows(conn, options, items)
        with conn.cursor() as cur:
            cur.executemany("UPDATE address_source_record SET address_code = %s, match_score = %s"
                            " WHERE source = %s AND line_no = %s",
                            [(o.code, o.score, source, o.item.row.line) for o in outcomes
                             if o.code])
        by_line = {o.item.row.line: o.code for o in outcomes}
        codes.update({r["id"]: by_line.get(r["line_no"] or 0) for r in group})
    _resolve(conn, ids, "approved", reviewer, note, codes)
    return _current(conn, ids)


def reject_pending(conn: Connection, *, ids: list[int], reviewer: str,
                   note: str = "") -> list[dict[str, Any]]:
    require_transaction(conn, "reject_pending")
    _open(conn, ids)
    _resolve(conn, ids, "rejected", reviewer, note, {})
    return _current(conn, ids)


def _current(conn: Connection, ids: list[int]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return [dict(r) for r in cur.execute(
            f"SELECT {_COLUMNS} FROM address_pending WHERE id = ANY(%s) ORDER BY id",
            [ids]).fetchall()]
