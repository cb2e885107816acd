"""Dependencies routers share: a pooled connection (autocommit, for reads), one inside a
transaction (for writes), the caller, role checks.

With read replicas configured (``DIZHI_DATABASE_REPLICA_URLS``), a replica serves a request that
only reads: a GET or HEAD (or a route marked :func:`reads_only`) whose route takes no
``WriteConn``. The primary serves everything else — writes, and GETs that write in one
transaction (an audited read of tickets or the audit log) — and the reads of a caller that wrote
in the last ``read_your_writes_s`` seconds (read your writes), and any request sent with
``X-Dizhi-Read-Primary: 1``. A read served by a replica that writes an audit row (a restricted
layer, a ticket's original text) writes it on the primary (``api.db.replicas``).
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Annotated, Any, TypeVar

from anyio import CancelScope
from fastapi import Depends, Header, Request
from fastapi.concurrency import contextmanager_in_threadpool, run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg import Connection
from psycopg.pq import TransactionStatus
from psycopg_pool import PoolTimeout

from address.errors import Forbidden, Unauthorized
from api.auth import Principal, authenticate
from api.db import ResilientPool
from api.db.replicas import Replicas

READ_PRIMARY_HEADER = "X-Dizhi-Read-Primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_READ_ONLY: set[Callable[..., Any]] = set()
_WRITES: dict[int, bool] = {}  # id(route) → whether its dependencies include a write


def reads_only(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint of a POST (a look-up with a body) as one a replica may serve; put it
    under the ``@router.post(…)`` line."""
    _READ_ONLY.add(endpoint)
    return endpoint


def caller_of(request: Request) -> str:
    """Who is asking, for read-your-writes: the API key as sent, else the client's address."""
    headers = request.headers
    key = headers.get("authorization") or headers.get("x-api-key")
    if key:
        return key
    return f"addr:{request.client.host}" if request.client else "addr:"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any] | None]:
    yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _route_writes(route: Any, write_dependency: Callable[..., Any]) -> bool:
    found = _WRITES.get(id(route))
    if found is None:
        found = _WRITES[id(route)] = any(
            call is write_dependency for call in _calls(route.dependant))
    return found


def is_write(request: Request, write_dependency: Callable[..., Any]) -> bool:
    """Whether the request may write: a route taking ``write_dependency`` (WriteConn), or an
    unsafe method not marked :func:`reads_only`."""
    route = request.scope.get("route")
    if route is None or not hasattr(route, "dependant"):
        return request.method not in SAFE_METHODS
    if _route_writes(route, write_dependency):
        return True
    return request.method not in SAFE_METHODS and route.endpoint not in _READ_ONLY


def asks_primary(request: Request) -> bool:
    value = request.headers.get(READ_PRIMARY_HEADER, "")
    return value.strip().lower() not in ("", "0", "false", "no")


_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer dz_…`")


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    """The request's pooled connection: the primary's, or with read replicas configured a
    replica's for a request that only reads (the module's docstring says which).

    Taken on the event loop when the pool has one ready and returned there when it is idle
    (both without I/O), so that a request does not pay two worker-thread hand-offs for it;
    a wait for one, or a reset, runs on a worker thread."""
    replicas: Replicas | None = getattr(request.app.state, "replicas", None)
    if replicas is None:
        async with _pooled(request.app.state.pool) as conn:
            yield conn
        return
    caller = caller_of(request)
    if not is_write(request, get_write_conn):
        async with contextmanager_in_threadpool(_reader(request, replicas, caller)) as conn:
            yield conn
        return
    replicas.writers.wrote(caller)  # from its start: a read sent before the answer came
    try:
        async with _pooled(request.app.state.pool) as conn:
            yield conn
    finally:
        replicas.writers.wrote(caller)  # and the window runs from its end


@asynccontextmanager
async def _pooled(pool: ResilientPool) -> AsyncIterator[Connection]:
    """``pool.connection()`` for the event loop (``get_conn`` says why). The pool's
    connections are autocommit: one that comes back idle has nothing to commit or roll back;
    any other is reset (or dropped) by ``putconn`` on a worker thread."""
    async with admitted(pool):
        ready: Connection | None = pool.ready()
        conn: Connection = ready if ready is not None else await run_in_threadpool(pool.getconn)
        try:
            yield conn
        finally:
            if conn.info.transaction_status == TransactionStatus.IDLE:
                pool.putconn(conn)
            else:
                with CancelScope(shield=True):
                    await run_in_threadpool(pool.putconn, conn)


@asynccontextmanager
async def admitted(pool: ResilientPool) -> AsyncIterator[None]:
    """A place among the pool's ``max_size`` requests let at its connections at once; the
    others queue here, on the event loop, in arrival order.

    Without it a request that found no connection ready waited inside ``getconn`` on a worker
    thread. Under load the waiters took the threads (and the GIL, waking in turn), and once
    every thread was a waiter, the requests holding the connections had none left to run their
    endpoints on: a deadlock that only the pool's timeout ended. While the server is away
    nobody queues here (``getconn`` then fails within ``down_timeout``), and a request queued
    when it goes away stops queueing within a slice of that."""
    budget, start = pool.timeout, asyncio.get_running_loop().time()
    while pool.down_since is None:
        left = budget - (asyncio.get_running_loop().time() - start)
        if left <= 0:
            raise PoolTimeout(f"no connection within {budget:g} s: the database is saturated")
        try:
            async with asyncio.timeout(min(pool.down_timeout / 4, left)):
                await pool.admission.acquire()
        except TimeoutError:
            continue
        try:
            yield
        finally:
            pool.admission.release()
        return
    yield


def _reader(request: Request, replicas: Replicas,
            caller: str) -> AbstractContextManager[Connection]:
    if asks_primary(request) or replicas.writers.wrote_lately(caller):
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
