"""What a chunk of an import writes, each kind of row in one COPY or one statement: new
addresses, source records (upserted by source and line), pending rows, rejected rows."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from address.register.imports.rows import RowForm
from address.text.coding import PLACE_CODE_LENGTH


def ewkt(x: float | None, y: float | None) -> str | None:
    return None if x is None or y is None else f"SRID=4326;POINT({x!r} {y!r})"


# one encoder for every row: json.dumps with options builds a new one per call
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def as_json(value: Any) -> str:
    return _JSON.encode(value)


@dataclass
class Outcome:
    """What became of a parsed row: matched or created (``code``), pending, or rejected."""

    item: RowForm
    kind: str  # matched | created | pending | rejected
    code: str | None = None
    score: float | None = None
    reason: str | None = None
    similar_to: str | None = None
    twin: "Outcome | None" = None  # the earlier row of the chunk that made this one's address


def copy_rows(conn: Connection, statement: str, rows: Iterable[Sequence[Any]]) -> None:
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def write_addresses(conn: Connection, created: list[Outcome]) -> None:
    """Version 1 of each new address, active."""
    def row(o: Outcome) -> tuple[Any, ...]:
        form, item, code = o.item.form, o.item, o.code
        assert form is not None and code is not None
        admin = item.admin
        return (code, as_json(form.components), form.canonical,
                form.address_key, form.local_key, form.level, code[:PLACE_CODE_LENGTH],
                ewkt(item.row.x, item.row.y), item.district,
                admin.get("town") or form.codes.get("town"), admin.get("community"),
                admin.get("grid"))

    copy_rows(conn, """COPY address (code, components, canonical, address_key, local_key, level,
                           place_code, point, district_code, town_code, community_code, grid_code)
                       FROM STDIN""", (row(o) for o in created))


def write_records(conn: Connection, source: str, coordsys: str,
                  outcomes: list[Outcome]) -> dict[int, int]:
    """The raw source records (every row but the rejected); line → record id."""
    conn.execute("""CREATE TEMP TABLE IF NOT EXISTS import_record_stage (line_no int,
                        raw_text text, raw jsonb, point geometry, components jsonb,
                        address_code text, match_score float8, place text)""")
    conn.execute("TRUNCATE import_record_stage")

    def row(o: Outcome) -> tuple[Any, ...]:
        item, form = o.item, o.item.form
        place = f"{form.place[0]}:{form.place[1]}" if form and form.place else None
        return (item.row.line, item.row.text, as_json(item.row.raw), ewkt(item.row.x, item.row.y),
                as_json(form.components if form else {}), o.code, o.score, place)

    copy_rows(conn, """COPY import_record_stage (line_no, raw_text, raw, point, components,
                           address_code, match_score, place) FROM STDIN""",
              (row(o) for o in outcomes))
    rows = conn.execute(
        """INSERT INTO address_source_record (source, line_no, raw_text, raw, raw_coordsys,
               point, components, address_code, match_score, place)
           SELECT %s, line_no, raw_text, raw, %s, point, components, address_code, match_score,
                  place FROM import_record_stage
           ON CONFLICT (source, line_no) DO UPDATE SET raw_text = EXCLUDED.raw_text,
               raw = EXCLUDED.raw, point = EXCLUDED.point, components = EXCLUDED.components,
               address_code = EXCLUDED.address_code, match_score = EXCLUDED.match_score,
               place = EXCLUDED.place
           RETURNING line_no, id""", [source, coordsys]).fetchall()
    return {int(line): int(record) for line, record in rows}


def write_pending(conn: Connection, import_id: int, source: str,
                  pending: list[Outcome]) -> None:
    """Pending rows for a steward; an open one of the same source line is replaced."""
    conn.execute("DELETE FROM address_pending WHERE source = %s AND status = 'open'"
                 " AND line_no = ANY(%s)", [source, [o.item.row.line for o in pending]])

    def row(o: Outcome) -> tuple[Any, ...]:
        form = o.item.form
        assert form is not None and form.place is not None
        return (import_id, source, o.item.row.line, o.item.row.text, o.reason, form.place[0],
                form.place[1], o.similar_to, o.item.district, o.item.row.x, o.item.row.y)

    copy_rows(conn, """COPY address_pending (import_id, source, line_no, raw_text, reason,
                           place_kind, place_name, similar_to, district_code, lng, lat)
                       FROM STDIN""", (row(o) for o in pending))


def write_errors(conn: Connection, import_id: int, rejected: list[Outcome]) -> None:
    copy_rows(conn, "COPY import_error (import_id, line, reason, text) FROM STDIN",
              ((import_id, o.item.row.line, o.reason or "", o.item.row.text[:200])
               for o in rejected))
