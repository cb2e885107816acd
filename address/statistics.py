"""Planner statistics of tables a bulk write is about to grow."""

from psycopg import Connection, sql


def fresh_statistics(conn: Connection, *, tables: list[str], rows: int) -> None:
    """ANALYZE those of ``tables`` never analysed, whose statistics count fewer rows than the
    ``rows`` just written or about to be, or that have grown to more than twice the pages their
    statistics saw: a new partition, a register loaded since autovacuum last looked, a table a
    long transaction keeps growing (autovacuum cannot see its rows before the commit; ANALYZE in
    the transaction does). Their plans otherwise take a big table for an empty one: nested
    loops over millions of rows, a hash of the whole table once per chunk (an import's match
    of 1,000,000 rows, quadratic: 47 s), or a never-analysed partial index AND-ed into a
    spatial check once per row (23 s of a 30 s import)."""
    stale = conn.execute(
        """SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'
           AND (reltuples < %s OR pg_relation_size(oid)
                > 2 * greatest(relpages, 1)::bigint * current_setting('block_size')::int)""",
        [tables, rows]).fetchall()
    for (name,) in stale:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(name)))
