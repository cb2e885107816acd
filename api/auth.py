"""API keys and roles, and the audit trail for reads of restricted data.

A key is ``dz_<prefix>_<secret>``; only the SHA-256 of the whole key is stored (a random 256-bit
secret needs no slow hash), looked up by its public prefix and compared in constant time.

A key this process has accepted is trusted again for ``KEY_CACHE_S`` seconds without a look-up
(one statement less on every request of a client that sends many). :func:`revoke_key` forgets
them all, so a revocation holds at once in the process that made it and within
``KEY_CACHE_S`` in the others; an unknown or revoked key is never remembered.
"""

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from psycopg import Connection

from address.errors import BadRequest, Unauthorized
from layers.catalog.access import require_read
from migrations.tables.values import ROLES

KEY_PREFIX = "dz"
KEY_CACHE_S = 2.0


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


class _RecentKeys:
    """Principals of keys accepted in the last ``KEY_CACHE_S`` seconds, by database and the
    digest of the whole key (a process may serve more than one database: the tests do)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cache: TTLCache[tuple[str, ...], Principal] = TTLCache(4096, KEY_CACHE_S)

    @staticmethod
    def _where(conn: Connection, digest: str) -> tuple[str, ...]:
        info = conn.info
        return (info.host, str(info.port), info.dbname, digest)

    def get(self, conn: Connection, digest: str) -> Principal | None:
        with self.lock:
            return self.cache.get(self._where(conn, digest))

    def put(self, conn: Connection, digest: str, principal: Principal) -> None:
        with self.lock:
            self.cache[self._where(conn, digest)] = principal

    def forget(self) -> None:
        with self.lock:
            self.cache.clear()


_recent = _RecentKeys()


def authenticate(conn: Connection, key: str | None) -> Principal:
    """The principal of a key; no key is the anonymous public role; a bad key is 401."""
    if not key:
        return ANONYMOUS
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthorized("malformed API key")
    digest = _digest(key)
    if (known := _recent.get(conn, digest)) is not None:
        return known
    row = conn.execute(
        "SELECT id, key_hash, role, name FROM api_key WHERE prefix = %s AND revoked_at IS NULL",
        [parts[1]],
    ).fetchone()
    if row is None or not hmac.compare_digest(row[1], digest):
        raise Unauthorized("unknown or revoked API key")
    principal = Principal(role=row[2], key_id=row[0], name=row[3])
    _recent.put(conn, digest, principal)
    return principal


def revoke_key(conn: Connection, *, key_id: int) -> bool:
    cur = conn.execute(
        "UPDATE api_key SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", [key_id]
    )
    _recent.forget()  # before the commit too: at worst the next request looks the key up again
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
    ``WriteConn``, so the row commits with the change or not at all."""
    conn.execute(
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
