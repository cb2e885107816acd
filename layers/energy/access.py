"""Who sees which energy rows. An ``enterprise`` key is bound to one enterprise; its reads run
as the PostgreSQL role ``dizhi_enterprise`` with ``dizhi.enterprise_id`` set, so row-level
security (migration 0006) filters every table it touches."""

from psycopg import Connection

from address.errors import BadRequest, Forbidden

ENTERPRISE_ROLE = "dizhi_enterprise"


def enterprise_of_key(conn: Connection, *, key_id: int | None) -> int:
    row = conn.execute("SELECT enterprise_id FROM enterprise_key WHERE key_id = %s",
                       [key_id]).fetchone()
    if row is None:
        raise Forbidden("this enterprise key is not bound to an enterprise")
    return int(row[0])


def bind_key(conn: Connection, *, key_id: int, enterprise_id: int) -> None:
    exists = conn.execute("SELECT 1 FROM enterprise WHERE id = %s", [enterprise_id]).fetchone()
    if exists is None:
        raise BadRequest(f"no enterprise {enterprise_id}")
    conn.execute("INSERT INTO enterprise_key (key_id, enterprise_id) VALUES (%s, %s)"
                 " ON CONFLICT (key_id) DO UPDATE SET enterprise_id = EXCLUDED.enterprise_id",
                 [key_id, enterprise_id])


def restrict_to_enterprise(conn: Connection, *, enterprise_id: int) -> None:
    """From here to the end of the current transaction, this connection sees only the rows of
    ``enterprise_id`` (and may not write)."""
    conn.execute("SELECT set_config('dizhi.enterprise_id', %s, true)", [str(enterprise_id)])
    conn.execute(f"SET LOCAL ROLE {ENTERPRISE_ROLE}")


def lift_restriction(conn: Connection) -> None:
    conn.execute("RESET ROLE")
    conn.execute("SELECT set_config('dizhi.enterprise_id', '', false)")
