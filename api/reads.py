"""Which server a request's connection comes from when read replicas are configured.

A replica serves a request that only reads: a GET or HEAD (or a route marked
:func:`reads_only`) whose route takes no ``WriteConn``. The primary serves everything else —
writes, and GETs that write in one transaction (an audited read of tickets or the audit log) —
and the reads of a caller that wrote in the last ``read_your_writes_s`` seconds (read your
writes), and any request sent with ``X-Dizhi-Read-Primary: 1``. A read served by a replica that
writes an audit row (a restricted layer, a ticket's original text) writes it on the primary
(``api.db.replicas.primary_connection``).
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant
from starlette.requests import Request

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
