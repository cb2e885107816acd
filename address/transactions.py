"""The unit of work: who opens and commits a transaction.

Domain functions never commit. A function that writes several statements runs inside its
caller's transaction (a route's ``WriteConn``, a CLI command's ``write_conn()``, a job); on an
autocommit connection a top-level ``conn.transaction()`` in domain code would commit on its own, so
such functions call :func:`require_transaction` first. A nested ``conn.transaction()`` (a
savepoint) stays where domain code must recover from a failure inside, like one bad import row.
"""

from psycopg import Connection
from psycopg.pq import TransactionStatus


class NoTransaction(RuntimeError):
    """A writing domain function was called on an autocommit connection outside a transaction:
    a programming error, not a caller's."""


def require_transaction(conn: Connection, what: str) -> None:
    """Raise :class:`NoTransaction` unless ``conn`` is inside a transaction its caller owns.

    A connection that is not in autocommit mode always is (psycopg begins one implicitly and the
    caller commits it)."""
    if conn.autocommit and conn.info.transaction_status == TransactionStatus.IDLE:
        raise NoTransaction(f"{what} writes several statements: call it inside the caller's"
                            " transaction (with conn.transaction(): …)")
