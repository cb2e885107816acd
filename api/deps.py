"""Dependencies routers share: a pooled connection (autocommit, for reads), one inside a
transaction (for writes), the caller, role checks."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg import Connection

from address.errors import Forbidden, Unauthorized
from api import reads
from api.auth import Principal, authenticate
from api.db.replicas import Replicas

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer dz_…`")


def get_conn(request: Request) -> Iterator[Connection]:
    """The request's pooled connection: the primary's, or with read replicas configured a
    replica's for a request that only reads (``api/reads.py`` says which)."""
    replicas: Replicas | None = getattr(request.app.state, "replicas", None)
    if replicas is None:
        with request.app.state.pool.connection() as conn:
            yield conn
        return
    caller = reads.caller_of(request)
    if not reads.is_write(request, get_write_conn):
        with _reader(request, replicas, caller) as conn:
            yield conn
        return
    replicas.writers.wrote(caller)  # from its start: a read sent before the answer came
    try:
        with request.app.state.pool.connection() as conn:
            yield conn
    finally:
        replicas.writers.wrote(caller)  # and the window runs from its end


def _reader(request: Request, replicas: Replicas,
            caller: str) -> AbstractContextManager[Connection]:
    if reads.asks_primary(request) or replicas.writers.wrote_lately(caller):
        return request.app.state.pool.connection()
    return replicas.connection()


ConnDep = Annotated[Connection, Depends(get_conn)]


def get_write_conn(conn: ConnDep) -> Iterator[Connection]:
    """The request's pooled connection inside one transaction: the route's changes and its
    audit row commit together, or nothing does.

    ``scope="function"`` (below) makes FastAPI leave this block, and so commit, when the route
    returns and before the response is sent: a failed commit answers an error, never a 2xx.
    (A dependency of the default request scope would exit only after the response went out.)
    The connection is the one ``ConnDep`` gives the rest of the request (the caller's key is
    looked up on it), so a write request holds one pooled connection, not two."""
    with conn.transaction():
        yield conn


WriteConn = Annotated[Connection, Depends(get_write_conn, scope="function")]


def bearer_key(authorization: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header; any other form is a 401, never
    anonymous (a client that sends a key and is silently served as public hides its mistake)."""
    if authorization is None:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip() or " " in key.strip():
        raise Unauthorized("malformed Authorization header: use `Authorization: Bearer <key>`")
    return key.strip()


def get_principal(
    conn: ConnDep, request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    x_api_key: Annotated[str | None, Header(description="API key, as an alternative")] = None,
) -> Principal:
    del credentials  # declared for the OpenAPI security scheme; the header is read below
    return principal_of(conn, request, x_api_key)


def principal_of(conn: Connection, request: Request, other_key: str | None) -> Principal:
    """The caller of ``Authorization: Bearer``, else of ``other_key`` (X-API-Key, Open311's
    api_key field), else anonymous; kept on the request for the audit row of a refusal."""
    key = bearer_key(request.headers.get("authorization")) or other_key
    principal = authenticate(conn, key)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting the given roles (and admin); anonymous callers are public."""

    def check(principal: CurrentUser) -> Principal:
        return check_roles(principal, *roles)

    return check


def check_roles(principal: Principal, *roles: str) -> Principal:
    """``principal`` if it has one of ``roles`` (or is admin), else 403."""
    if not principal.has_role(*roles):
        needed = ", ".join(roles)
        raise Forbidden(f"this needs one of the roles {needed}; you are {principal.role}")
    return principal
