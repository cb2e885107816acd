"""``Idempotency-Key`` on POST (draft-ietf-httpapi-idempotency-key-header): the same key and the
same body answer the first response again and file nothing new; the same key with another body
is a 422. Keys are kept per API key, in the request's transaction (a failed POST keeps none)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from address.errors import DizhiError
from api.auth import Principal

MAX_KEY = 255


class IdempotencyMismatch(DizhiError):
    status = 422
    title = "Idempotency key reused"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def body_hash(route: str, fields: list[tuple[str, str]]) -> str:
    """A digest of what was asked: the route and the fields in order of name (not the key)."""
    kept = sorted((k, v) for k, v in fields if k != "api_key")
    return hashlib.sha256(json.dumps([route, kept], ensure_ascii=False).encode()).hexdigest()


def once(conn: Connection, principal: Principal, *, key: str | None, digest: str,
         run: Callable[[], Answer]) -> Answer:
    """``run()`` unless ``key`` was seen with this body (its stored answer then)."""
    if not key:
        return run()
    if len(key) > MAX_KEY:
        raise IdempotencyMismatch(f"Idempotency-Key is longer than {MAX_KEY} characters")
    owner = principal.key_id or 0
    row = conn.execute("SELECT body_hash, status, response FROM idempotency_key"
                       " WHERE key = %s AND key_id = %s", [key, owner]).fetchone()
    if row is not None:
        if row[0] != digest:
            raise IdempotencyMismatch("this Idempotency-Key was used with another request body")
        return Answer(row[1], json.loads(row[2]))
    answer = run()
    conn.execute("INSERT INTO idempotency_key (key, key_id, body_hash, status, response)"
                 " VALUES (%s, %s, %s, %s, %s)",
                 [key, owner, digest, answer.status, json.dumps(answer.body, ensure_ascii=False)])
    return answer
