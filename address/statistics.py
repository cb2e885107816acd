"""Planner statistics of tables a bulk write is about to grow."""

from psycopg import Connection, sql


def fresh_statistics(conn: Connection, *, tables: list[str], rows: int) -> None:
    """ANALYZE those of ``tables`` never analysed or whose statistics count fewer rows than the
    ``rows`` just written or about to be: a new partition, a register loaded since autovacuum
    last looked (a bulk load, a history in one transaction). Their plans otherwise take a big
    table for an empty one (nested loops over millions of rows: minutes, not seconds), or
    never-analysed partial indexes for cheap ones (an import's spatial check AND-ed the point
    index with the whole current-address index once per row: 23 s of a 30 s import)."""
    stale = conn.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)"
                         " AND relkind = 'r' AND reltuples < %s", [tables, rows]).fetchall()
    for (name,) in stale:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
