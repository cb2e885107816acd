"""Long work over the API: a ``job`` row with progress, run on a thread of the server process.

The route creates the row in its request's transaction and starts the thread after the answer
(``BackgroundTasks``), so the thread sees a committed row. The work runs in one transaction of its
own; progress is written beside it on another connection, so callers see it while the work runs.

A job that dies with its process stays ``running``; its caller sees no progress and can submit it
again. (Past one machine this is where a queue would go.)
"""

import threading
from collections.abc import Callable
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from address.errors import DizhiError, Forbidden, NotFound
from api.auth import Principal
from api.errors import database_problem

Progress = Callable[[int], None]
Work = Callable[[Connection, Progress], tuple[bytes, bytes | None]]


def create_job(conn: Connection, *, kind: str, total: int, params: dict[str, Any],
               principal: Principal) -> int:
    row = conn.execute(
        "INSERT INTO job (kind, total, params, key_id) VALUES (%s, %s, %s, %s) RETURNING id",
        [kind, total, Jsonb(params), principal.key_id]).fetchone()
    assert row is not None
    return int(row[0])


def _safe_detail(exc: Exception) -> str:
    if isinstance(exc, DizhiError):
        return exc.detail
    found = database_problem(exc)
    return found.detail if found else "the job failed"


def run_in_background(pool: ConnectionPool, job_id: int, work: Work) -> threading.Thread:
    def progress(done: int) -> None:
        with pool.connection() as conn:
            conn.execute("UPDATE job SET done = %s WHERE id = %s", [done, job_id])

    def run() -> None:
        with pool.connection() as conn:
            conn.execute("UPDATE job SET status = 'running' WHERE id = %s", [job_id])
            try:
                with conn.transaction():  # the work and its 'done' commit together, or neither
                    result, geojson = work(conn, progress)
                    conn.execute(
                        """UPDATE job SET status = 'done', done = total, result = %s,
                               result_geojson = %s, finished_at = now() WHERE id = %s""",
                        [result, geojson, job_id])
            except Exception as exc:
                detail = _safe_detail(exc)
                conn.execute("UPDATE job SET status = 'failed', error = %s, finished_at = now()"
                             " WHERE id = %s", [detail, job_id])
                raise

    thread = threading.Thread(target=run, name=f"job-{job_id}", daemon=True)
    thread.start()
    return thread


def get_job(conn: Connection, *, job_id: int, principal: Principal,
            with_result: str | None = None) -> dict[str, Any]:
    """A job's state (and ``result`` or ``result_geojson``) for its owner or an admin."""
    column = {"csv": ", result", "geojson": ", result_geojson"}.get(with_result or "", "")
    row = conn.execute(
        f"""SELECT id, kind, status, total, done, params, key_id, error, created_at,
                   finished_at{column} FROM job WHERE id = %s""", [job_id]).fetchone()
    if row is None:
        raise NotFound(f"no job {job_id}")
    names = ["id", "kind", "status", "total", "done", "params", "key_id", "error", "created_at",
             "finished_at", *(["result"] if column else [])]
    job = dict(zip(names, row, strict=True))
    if job["key_id"] != principal.key_id and not principal.has_role("admin"):
        raise Forbidden("this job belongs to another key")
    return job
