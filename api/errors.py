"""RFC 9457 problem+json for every error: domain errors, validation errors, database errors, HTTP
errors, crashes. Database errors map to a status and a safe message in one table
(:data:`DATABASE_ERRORS`); the database's own text is logged, never shown."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg import errors as pg
from psycopg_pool import PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from address.errors import DizhiError
from api.auth import ANONYMOUS, audit
from layers.hotline.mask import mask_text

log = logging.getLogger("dizhi.api")
PROBLEM_JSON = "application/problem+json"


# Every route may answer these (documented once, on the app): the caller's mistakes, and 503
# while the database is away. Each is RFC 9457 problem+json.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": f"{what} (problem+json)", "content": {PROBLEM_JSON: {}}}
    for code, what in [(400, "bad request"), (401, "no or unknown API key"),
                       (403, "the key's role may not do this"), (404, "not found"),
                       (405, "method not allowed"), (409, "conflicts with stored data"),
                       (413, "too large"), (422, "invalid parameters"),
                       (503, "the database is not available; see Retry-After")]
}

RETRY_AFTER_S = 5  # how long a caller should wait when the database is unavailable


def problem(status: int, title: str, detail: str, request: Request,
            headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **extra}
    headers = {**{401: {"WWW-Authenticate": "Bearer"},
                  503: {"Retry-After": str(RETRY_AFTER_S)}}.get(status, {}), **(headers or {})}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


@dataclass(frozen=True)
class DatabaseProblem:
    status: int
    title: str
    detail: str  # safe to show; the constraint or column is added when the server names it


_BAD = "Bad request"
_UNAVAILABLE = DatabaseProblem(503, "Service unavailable",
                               "the database is not available at the moment; try again shortly")
# The nearest class in an exception's MRO wins (the base classes catch what is not listed).
DATABASE_ERRORS: dict[type[Exception], DatabaseProblem] = {
    pg.DataError: DatabaseProblem(400, _BAD, "a value does not fit what the data allows"),
    pg.NumericValueOutOfRange: DatabaseProblem(400, _BAD, "a number is out of range"),
    pg.InvalidTextRepresentation: DatabaseProblem(400, _BAD, "a value has the wrong type"),
    pg.StringDataRightTruncation: DatabaseProblem(400, _BAD, "a text is too long"),
    pg.InvalidDatetimeFormat: DatabaseProblem(400, _BAD, "a date or time is not valid"),
    pg.DatetimeFieldOverflow: DatabaseProblem(400, _BAD, "a date or time is out of range"),
    psycopg.IntegrityError: DatabaseProblem(409, "Conflict",
                                            "the change conflicts with the stored data"),
    pg.UniqueViolation: DatabaseProblem(409, "Conflict", "this exists already"),
    pg.ForeignKeyViolation: DatabaseProblem(
        409, "Conflict", "the change refers to something missing, or something refers to it"),
    pg.ExclusionViolation: DatabaseProblem(409, "Conflict", "the change overlaps stored data"),
    pg.CheckViolation: DatabaseProblem(400, _BAD, "a value breaks a rule of the data"),
    pg.NotNullViolation: DatabaseProblem(400, _BAD, "a required value is missing"),
    psycopg.OperationalError: _UNAVAILABLE,  # connection lost, server shutting down, timeouts
    psycopg.InterfaceError: _UNAVAILABLE,  # a connection that was closed under us
    PoolTimeout: _UNAVAILABLE,  # no pooled connection in time (the server is down or saturated)
}


def database_problem(exc: BaseException) -> DatabaseProblem | None:
    """The table's entry for ``exc`` (nearest class first), with the constraint or column the
    server names; None for an exception the table does not map."""
    found = next((DATABASE_ERRORS[c] for c in type(exc).__mro__ if c in DATABASE_ERRORS), None)
    if found is None or found.status >= 500 or not isinstance(exc, psycopg.Error):
        return found
    diag = exc.diag
    where = (f"constraint {diag.constraint_name}" if diag.constraint_name
             else f"column {diag.column_name}" if diag.column_name else None)
    return DatabaseProblem(found.status, found.title,
                           f"{found.detail} ({where})" if where else found.detail)


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    found = database_problem(exc)
    assert found is not None  # registered for the table's classes only
    # the server's text can quote values (``Key (phone)=(139…) already exists``): masked
    log.warning("database error on %s: %s: %s", request.url.path, type(exc).__name__,
                mask_text(str(exc)))
    return problem(found.status, found.title, found.detail, request)


DENIED = (401, 403)


def audit_denied(request: Request, status: int, reason: str) -> None:
    """An audit row for a refused request (who, which route, why), on a connection of its own:
    the request's may be inside a transaction that is rolling back."""
    pool = getattr(request.app.state, "pool", None)
    if pool is None:
        return
    principal = getattr(request.state, "principal", None) or ANONYMOUS
    detail = {"method": request.method, "status": status, "reason": reason}
    try:
        with pool.connection() as conn:
            audit(conn, principal, action="denied", resource=request.url.path, detail=detail)
    except Exception:  # the refusal stands even when it cannot be recorded
        log.exception("could not audit a denied request to %s", request.url.path)


async def _dizhi_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DizhiError)
    if exc.status in DENIED:
        await run_in_threadpool(audit_denied, request, exc.status, exc.detail)
    if exc.status >= 500:
        log.error("%s: %s", type(exc).__name__, mask_text(exc.detail))
        return problem(exc.status, exc.title, "the server could not complete the request", request)
    return problem(exc.status, exc.title, exc.detail, request, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return problem(422, "Invalid request", where, request, errors=errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    # the exception's headers (405's Allow, 401's WWW-Authenticate) go out with the problem
    return problem(exc.status_code, title, str(exc.detail), request, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(500, "Internal error", "the server could not complete the request", request)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DizhiError, _dizhi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
