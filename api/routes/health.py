"""Liveness with the versions that matter: 200 ``ok`` when the database answers, 503 problem+json
``degraded`` (with ``Retry-After``) while it does not; with read replicas, each one's state
(reachable, replay lag, whether it serves reads)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.errors import PROBLEM_JSON, database_problem, problem
from api.schemas.common import Health

router = APIRouter(tags=["health"])

_DEGRADED: dict[int | str, dict[str, Any]] = {503: {
    "description": "degraded: the database does not answer (problem+json, `health: degraded`)",
    "content": {PROBLEM_JSON: {}}}}


@router.get("/healthz", summary="Database and PostGIS versions", response_model=Health,
            responses=_DEGRADED)
def healthz(request: Request) -> Health | JSONResponse:
    try:
        with request.app.state.pool.connection() as conn:
            row = conn.execute(
                "SELECT current_setting('server_version'), postgis_full_version(),"
                " (SELECT version_num FROM alembic_version)"
            ).fetchone()
    except Exception as exc:
        found = database_problem(exc)
        if found is None or found.status != 503:
            raise
        return problem(503, "Service degraded", found.detail, request, health="degraded")
    assert row is not None
    postgis = row[1].split('"')[1] if '"' in row[1] else row[1]
    replicas = getattr(request.app.state, "replicas", None)
    return Health(status="ok", database=f"PostgreSQL {row[0]}", postgis=postgis,
                  schema_revision=row[2],
                  replicas=None if replicas is None else replicas.health())
