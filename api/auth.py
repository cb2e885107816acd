"""API keys and roles, and the audit trail for reads of restricted data.

A key is ``dz_<prefix>_<secret>``; only the SHA-256 of the whole key is stored (a random 256-bit
secret needs no slow hash), looked up by its public prefix and compared in constant time.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from address.errors import BadRequest, Unauthorized
from api.db.replicas import primary_connection
from layers.catalog.access import require_read
from migrations.schema import ROLES

KEY_PREFIX = "dz"


@dataclass(frozen=True)
class Principal:
    role: str
    key_id: int | None = None
    name: str = "anonymous"

    def has_role(self, *roles: str) -> bool:
        return self.role == "admin" or self.role in roles


ANONYMOUS = Principal(role="public")


@dataclass(frozen=True)
class NewKey:
    id: int
    key: str
    role: str
    name: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(conn: Connection, *, role: str, name: str = "") -> NewKey:
    """Create a key; the plain key is returned once and never stored."""
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = conn.execute(
        "INSERT INTO api_key (prefix, key_hash, role, name) VALUES (%s, %s, %s, %s) RETURNING id",
        [prefix, _digest(key), role, name],
    ).fetchone()
    assert row is not None
    return NewKey(id=row[0], key=key, role=role, name=name)


def authenticate(conn: Connection, key: str | None) -> Principal:
    """The principal of a key; no key is the anonymous public role; a bad key is 401."""
    if not key:
        return ANONYMOUS
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthorized("malformed API key")
    row = conn.execute(
        "SELECT id, key_hash, role, name FROM api_key WHERE prefix = %s AND revoked_at IS NULL",
        [parts[1]],
    ).fetchone()
    if row is None or not hmac.compare_digest(row[1], _digest(key)):
        raise Unauthorized("unknown or revoked API key")
    return Principal(role=row[2], key_id=row[0], name=row[3])


def revoke_key(conn: Connection, *, key_id: int) -> bool:
    cur = conn.execute(
        "UPDATE api_key SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", [key_id]
    )
    return cur.rowcount == 1


def list_keys(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, prefix, role, name, created_at, revoked_at FROM api_key ORDER BY id"
    ).fetchall()
    cols = ("id", "prefix", "role", "name", "created_at", "revoked_at")
    return [dict(zip(cols, r, strict=True)) for r in rows]


def audit(
    conn: Connection, principal: Principal, *, action: str, resource: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record a read (or change) of restricted data, on the caller's connection: a write route's
    ``WriteConn``, so the row commits with the change or not at all (a read served by a replica
    writes it on the primary)."""
    with primary_connection(conn) as target:
        target.execute(
            "INSERT INTO audit_log (key_id, role, action, resource, detail)"
            " VALUES (%s, %s, %s, %s, %s)",
            [principal.key_id, principal.role, action, resource, json.dumps(detail or {})],
        )


def authorize_read(conn: Connection, principal: Principal, level: str, *, what: str,
                   resource: str) -> None:
    """403 unless the caller's role may read data of this access level; a restricted read is
    recorded in the audit log under ``resource``."""
    require_read(principal.role, level, what)
    if level == "restricted":
        audit(conn, principal, action="read", resource=resource)
