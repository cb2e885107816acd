"""Liveness with the versions that matter."""

from fastapi import APIRouter

from api.deps import ConnDep
from api.schemas.common import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Database and PostGIS versions")
def healthz(conn: ConnDep) -> Health:
    row = conn.execute(
        "SELECT current_setting('server_version'), postgis_full_version(),"
        " (SELECT version_num FROM alembic_version)"
    ).fetchone()
    assert row is not None
    postgis = row[1].split('"')[1] if '"' in row[1] else row[1]
    return Health(status="ok", database=f"PostgreSQL {row[0]}", postgis=postgis,
                  schema_revision=row[2])
