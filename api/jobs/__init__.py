"""Long work as durable jobs on the service's PostgreSQL (procrastinate), run by worker processes
in committed chunks; see docs/jobs.md.

A route calls :func:`submit` on its request's connection (inside its transaction): the ``job``
row and the queue's entry commit with the request. Callers follow a job through
``GET /jobs/{id}`` (:func:`job_state`), cancel it with ``DELETE /jobs/{id}``.
"""

from typing import Any

from psycopg import Connection

from api.auth import Principal
from api.jobs.kinds import ChunkedKind, ChunkOutput, Job, Row, SingleKind, register
from api.jobs.queue import Queue
from api.jobs.registered import kind_of
from api.jobs.store import cancel_job, get_job, insert_job, list_jobs

__all__ = ["ChunkOutput", "ChunkedKind", "Job", "Queue", "Row", "SingleKind", "cancel_job",
           "get_job", "job_state", "list_jobs", "register", "submit"]


def submit(conn: Connection, queue: Queue, *, kind: str, total: int, params: dict[str, Any],
           principal: Principal, data: bytes | None = None) -> int:
    """Create a job of a registered ``kind`` with its ``data`` (the upload: kept in the database
    until the job ends) and queue it, in the caller's transaction."""
    kind_of(kind)  # KeyError for a kind no worker could run
    job_id = insert_job(conn, kind=kind, total=total, params=params, principal=principal,
                        data=data)
    queue.defer(conn, job_id=job_id)
    return job_id


def job_state(job: dict[str, Any]) -> dict[str, Any]:
    """What ``GET /jobs/{id}`` answers: status, progress, failed rows, where the result is."""
    keys = ("id", "kind", "status", "total", "done", "error", "errors", "error_count",
            "attempts", "worker", "created_at", "started_at", "finished_at")
    state = {k: job.get(k) for k in keys}
    state["href"] = f"/jobs/{job['id']}"
    done = job["status"] == "done"
    state["results"] = kind_of(job["kind"]).links(job["id"]) if done else None
    return state
