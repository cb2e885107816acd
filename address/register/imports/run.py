"""The lifecycle of an import: create, stage, run chunk by chunk, finish (see the package)."""


from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import nullcontext
from multiprocessing import get_context
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from address.errors import NotFound
from address.register.admin import AdminAreas
from address.register.imports.chunk import (
    ImportOptions,
    import_chunk,
    parse_chunk,
    staged_rows,
    write_chunk,
)
from address.register.imports.rows import Reader, RecentReads, TextKey, read_texts
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


def _no_nul(text: str) -> str:
    """PostgreSQL text (and jsonb) holds no NUL: an upload's stray one goes."""
    return text.replace("\x00", "")


def clean_row(row: SourceRow) -> SourceRow:
    """The row as staging keeps it: text and text values without NUL."""
    if "\x00" not in row.text and not any(
            isinstance(v, str) and "\x00" in v for v in row.raw.values()):
        return row
    return SourceRow(row.line, _no_nul(row.text), row.x, row.y,
                     {k: _no_nul(v) if isinstance(v, str) else v for k, v in row.raw.items()},
                     row.error)


def count_rows(conn: Connection, *, import_id: int, rows: int) -> None:
    conn.execute("UPDATE address_import SET rows_total = rows_total + %s WHERE id = %s",
                 [rows, import_id])


def stage_rows(conn: Connection, *, import_id: int, rows: Iterable[SourceRow]) -> int:
    """COPY the rows (points in WGS84) into staging; the number staged."""
    n = 0

    def counted() -> Iterable[tuple[Any, ...]]:
        nonlocal n
        for r in map(clean_row, rows):
            n += 1
            yield (import_id, r.line, r.text, r.x, r.y, as_json(r.raw), r.error)

    copy_rows(conn, "COPY import_row (import_id, line, text, lng, lat, raw, error) FROM STDIN",
              counted())
    count_rows(conn, import_id=import_id, rows=n)
    return n


def _options(conn: Connection, import_id: int) -> tuple[ImportOptions, int, dict[str, Any]]:
    row = conn.execute("SELECT options, next_line, summary FROM address_import WHERE id = %s"
                       " FOR UPDATE", [import_id]).fetchone()
    if row is None:
        raise NotFound(f"no import {import_id}")
    return ImportOptions.from_dict(row[0]), int(row[1]), dict(row[2])


def _begin(conn: Connection, import_id: int) -> tuple[ImportOptions, int, dict[str, Any]]:
    require_transaction(conn, "an import chunk")
    # the chunk's set queries look expensive to the planner: JIT would spend seconds compiling
    # each (measured: 1.7 s of a 3.6 s query) and win nothing back
    conn.execute("SET LOCAL jit = off")
    return _options(conn, import_id)


def _done(conn: Connection, import_id: int, last_line: int, summary: dict[str, Any],
          counts: Counter[str]) -> dict[str, Any]:
    """Add a chunk's counts to the import's and move its ``next_line`` past the chunk."""
    total = Counter({k: v for k, v in summary.items() if isinstance(v, int)})
    total.update(counts)
    conn.execute(
        """UPDATE address_import SET next_line = %s, summary = %s, rows_imported = %s,
               rows_failed = %s WHERE id = %s""",
        [last_line, Jsonb(dict(total)), sum(total[k] for k in OUTCOMES[:3]),
         total["rejected"], import_id])
    return dict(total)


def run_chunk(conn: Connection, *, import_id: int, size: int = CHUNK_ROWS) -> int:
    """Import the next ``size`` staged rows in the caller's transaction; the number done (0: none
    were left). The unit a job queue runs, one committed transaction each."""
    options, after, summary = _begin(conn, import_id)
    rows = staged_rows(conn, import_id, after, size)
    if rows:
        counts = import_chunk(conn, import_id=import_id, options=options, rows=rows)
        _done(conn, import_id, rows[-1].line, summary, counts)
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


def _chunks(conn: Connection, import_id: int, after: int, size: int,
            rows: list[SourceRow] | None) -> Iterator[list[SourceRow]]:
    """The chunks after line ``after``: read from staging, or cut from ``rows`` as staging
    would give them (cleaned, by line)."""
    if rows is None:
        while chunk := staged_rows(conn, import_id, after, size):
            yield chunk
            after = chunk[-1].line
        return
    todo = sorted((clean_row(r) for r in rows if r.line > after), key=lambda r: r.line)
    for start in range(0, len(todo), size):
        yield todo[start:start + size]


def _reader(pool: ProcessPoolExecutor | None) -> Reader:
    """How the texts are read: here, or in the pool's process (the caller's thread waits);
    what the previous chunk read is not read again."""
    if pool is None:
        return RecentReads()

    def in_pool(keys: list[TextKey], districts: Sequence[str], default: str) -> list[Any]:
        return pool.submit(read_texts, keys, districts, default).result()
    return RecentReads(in_pool)


def run_import(conn: Connection, *, import_id: int, size: int = CHUNK_ROWS,
               progress: Callable[[int], None] | None = None,
               rows: list[SourceRow] | None = None, parse_process: bool = False) -> None:
    """Every chunk and the finish in the caller's one transaction; ``progress`` gets rows done.
    The rows are the staged ones, or ``rows`` (counted with :func:`count_rows`, not staged: a
    caller in one transaction has them in memory and need not send them twice).

    Pipelined: the next chunk is parsed on a second thread while this one's statements run (the
    server works while Python parses; psycopg releases the GIL while it waits). With
    ``parse_process`` the texts are read in a child process (spawned, started at once), so the
    parse runs beside this process's Python too, not only beside the server."""
    options, after, summary = _begin(conn, import_id)
    chunks = _chunks(conn, import_id, after, size, rows)
    areas = AdminAreas.load(conn)  # read once, not queried per chunk
    with ThreadPoolExecutor(max_workers=1) as parser, (
            ProcessPoolExecutor(1, mp_context=get_context("spawn")) if parse_process
            else nullcontext()) as pool:
        reader = _reader(pool)
        if pool is not None:
            pool.submit(read_texts, [], options.districts, options.default_district)  # warm up
        chunk = next(chunks, None)
        parsed = parser.submit(parse_chunk(conn, options, chunk, areas, reader)) if chunk \
            else None
        while chunk and parsed is not None:
            following = next(chunks, None)
            upcoming = parser.submit(parse_chunk(conn, options, following, areas, reader)) \
                if following else None
            counts = write_chunk(conn, import_id=import_id, options=options,
                                 items=parsed.result())
            summary = _done(conn, import_id, chunk[-1].line, summary, counts)
            if progress:
                progress(len(chunk))
            chunk, parsed = following, upcoming
    finish_import(conn, import_id=import_id)
