"""The lifecycle of an import: create, stage, run chunk by chunk, finish (see the package)."""


from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from address.register.imports.chunk import ImportOptions, import_chunk, staged_rows
from address.register.imports.writes import as_json, copy_rows
from address.register.sources import SourceRow
from address.transactions import require_transaction

CHUNK_ROWS = 20000
OUTCOMES = ("created", "matched", "pending", "rejected")


def create_import(conn: Connection, options: ImportOptions) -> int:
    row = conn.execute(
        "INSERT INTO address_import (source, filename, options) VALUES (%s, %s, %s) RETURNING id",
        [options.source, options.filename, Jsonb(options.as_dict())]).fetchone()
    assert row is not None
    return int(row[0])


def stage_rows(conn: Connection, *, import_id: int, rows: Iterable[SourceRow]) -> int:
    """COPY the rows (points in WGS84) into staging; the number staged."""
    n = 0

    def counted() -> Iterable[tuple[Any, ...]]:
        nonlocal n
        for r in rows:
            n += 1
            yield (import_id, r.line, r.text.replace("\x00", ""), r.x, r.y, as_json(r.raw),
                   r.error)

    copy_rows(conn, "COPY import_row (import_id, line, text, lng, lat, raw, error) FROM STDIN",
              counted())
    conn.execute("UPDATE address_import SET rows_total = rows_total + %s WHERE id = %s",
                 [n, import_id])
    return n


def _options(conn: Connection, import_id: int) -> tuple[ImportOptions, int, dict[str, Any]]:
    row = conn.execute("SELECT options, next_line, summary FROM address_import WHERE id = %s"
                       " FOR UPDATE", [import_id]).fetchone()
    assert row is not None
    return ImportOptions.from_dict(row[0]), int(row[1]), dict(row[2])


def run_chunk(conn: Connection, *, import_id: int, size: int = CHUNK_ROWS) -> int:
    """Import the next ``size`` staged rows; the number done (0: none were left)."""
    require_transaction(conn, "run_chunk")
    # the chunk's set queries look expensive to the planner: JIT would spend seconds compiling
    # each (measured: 1.7 s of a 3.6 s query) and win nothing back
    conn.execute("SET LOCAL jit = off")
    options, after, summary = _options(conn, import_id)
    rows = staged_rows(conn, import_id, after, size)
    if not rows:
        return 0
    counts = Counter({k: v for k, v in summary.items() if isinstance(v, int)})
    counts.update(import_chunk(conn, import_id=import_id, options=options, rows=rows))
    conn.execute(
        """UPDATE address_import SET next_line = %s, summary = %s, rows_imported = %s,
               rows_failed = %s WHERE id = %s""",
        [rows[-1].line, Jsonb(dict(counts)), sum(counts[k] for k in OUTCOMES[:3]),
         counts["rejected"], import_id])
    return len(rows)


def refresh_places(conn: Connection) -> None:
    """Address counts and a representative point (the middle door) for every place."""
    conn.execute(
        """UPDATE place p SET address_count = s.n, point = s.point,
               town_code = coalesce(nullif(s.town, ''), p.town_code)
           FROM (SELECT place_code, count(*) AS n, mode() WITHIN GROUP (ORDER BY town_code) AS town,
                        ST_ClosestPoint(ST_Collect(point), ST_Centroid(ST_Collect(point))) AS point
                 FROM address WHERE valid_to IS NULL AND status <> 'retired'
                 GROUP BY place_code) s
           WHERE p.code = s.place_code""")


def finish_import(conn: Connection, *, import_id: int) -> None:
    refresh_places(conn)
    conn.execute("DELETE FROM import_row WHERE import_id = %s", [import_id])
    conn.execute("UPDATE address_import SET status = 'done', finished_at = now() WHERE id = %s",
                 [import_id])


def run_import(conn: Connection, *, import_id: int, size: int = CHUNK_ROWS,
               progress: Callable[[int], None] | None = None) -> None:
    """Every chunk and the finish in the caller's transaction; ``progress`` gets rows done."""
    require_transaction(conn, "run_import")
    while done := run_chunk(conn, import_id=import_id, size=size):
        if progress:
            progress(done)
    finish_import(conn, import_id=import_id)
