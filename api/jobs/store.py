"""The ``job`` rows: what callers see of a job (state, progress, failed rows), and what the
runner writes as it goes. Every function takes a connection and never commits."""

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from address.errors import Conflict, Forbidden, NotFound
from api.auth import Principal
from api.jobs.kinds import ChunkOutput

STATE_COLUMNS = ("id", "kind", "status", "total", "done", "params", "key_id", "error", "errors",
                 "error_count", "attempts", "worker", "created_at", "started_at", "finished_at")
FINAL = ("done", "failed", "cancelled")


def insert_job(conn: Connection, *, kind: str, total: int, params: dict[str, Any],
               principal: Principal, data: bytes | None = None) -> int:
    row = conn.execute(
        """INSERT INTO job (kind, total, params, key_id, input) VALUES (%s, %s, %s, %s, %s)
           RETURNING id""", [kind, total, Jsonb(params), principal.key_id, data]).fetchone()
    assert row is not None
    return int(row[0])


def set_queue_id(conn: Connection, *, job_id: int, queue_id: int) -> None:
    conn.execute("UPDATE job SET queue_id = %s WHERE id = %s", [queue_id, job_id])


def _owned(job: dict[str, Any], principal: Principal) -> dict[str, Any]:
    if job["key_id"] != principal.key_id and not principal.has_role("admin"):
        raise Forbidden("this job belongs to another key")
    return job


def get_job(conn: Connection, *, job_id: int, principal: Principal,
            with_result: str | None = None) -> dict[str, Any]:
    """A job's state (and ``result`` or ``result_geojson``) for its owner or an admin."""
    column = {"csv": ", result", "geojson": ", result_geojson"}.get(with_result or "", "")
    with conn.cursor(row_factory=dict_row) as cur:
        job = cur.execute(f"SELECT {', '.join(STATE_COLUMNS)}{column} FROM job WHERE id = %s",
                          [job_id]).fetchone()
    if job is None:
        raise NotFound(f"no job {job_id}")
    if column:
        job["result"] = job.pop("result_geojson", job.get("result"))
    return _owned(job, principal)


def list_jobs(conn: Connection, *, principal: Principal, limit: int, offset: int,
              status: str | None = None, kind: str | None = None,
              ) -> tuple[int, list[dict[str, Any]]]:
    """The caller's jobs (every job for an admin), newest first, and how many match."""
    where = ["(%(all)s OR key_id = %(key)s)", "(%(status)s::text IS NULL OR status = %(status)s)",
             "(%(kind)s::text IS NULL OR kind = %(kind)s)"]
    args = {"all": principal.has_role("admin"), "key": principal.key_id, "status": status,
            "kind": kind, "limit": limit, "offset": offset}
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"""SELECT {', '.join(STATE_COLUMNS)}, count(*) OVER () AS matching FROM job
                WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %(limit)s
                OFFSET %(offset)s""", args).fetchall()
        if not rows and offset:
            counted = cur.execute(f"SELECT count(*) AS n FROM job WHERE {' AND '.join(where)}",
                                  args).fetchone()
            return int(counted["n"] if counted else 0), []
    total = int(rows[0]["matching"]) if rows else 0
    return total, [{k: v for k, v in r.items() if k != "matching"} for r in rows]


def cancel_job(conn: Connection, *, job_id: int, principal: Principal) -> dict[str, Any]:
    """Mark a queued or running job cancelled: its worker stops before its next chunk (what
    was committed stays). 409 for a job that already ended otherwise."""
    job = get_job(conn, job_id=job_id, principal=principal)
    if job["status"] in ("done", "failed"):
        raise Conflict(f"job {job_id} is already {job['status']}")
    conn.execute(
        """UPDATE job SET status = 'cancelled', finished_at = coalesce(finished_at, now()),
               input = NULL, updated_at = now() WHERE id = %s AND status <> 'cancelled'""",
        [job_id])
    return get_job(conn, job_id=job_id, principal=principal)


# What the runner writes.

def begin_attempt(conn: Connection, *, job_id: int, worker: str,
                  stalled_after_s: float) -> dict[str, Any] | None:
    """Take the job's lease for one more attempt on ``worker``; None if it is no longer to be
    run, or another worker holds a lease renewed within ``stalled_after_s`` (the queue took
    that worker for dead, but it is only slow: it goes on)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """UPDATE job j SET status = 'running', attempts = attempts + 1, worker = %(worker)s,
                   heartbeat_at = now(), started_at = coalesce(started_at, now()),
                   updated_at = now()
               FROM (SELECT j2.id, k.role, k.name FROM job j2
                     LEFT JOIN api_key k ON k.id = j2.key_id WHERE j2.id = %(id)s) owner
               WHERE j.id = owner.id AND j.status IN ('queued', 'running')
                 AND (j.status = 'queued' OR j.worker IS NULL OR j.worker = %(worker)s
                      OR j.heartbeat_at < now() - make_interval(secs => %(stale)s))
               RETURNING j.id, j.kind, j.params, j.total, j.done, j.input, j.key_id,
                         owner.role, owner.name""",
            {"worker": worker, "id": job_id, "stale": stalled_after_s}).fetchone()


def renew_lease(conn: Connection, *, job_id: int, worker: str) -> bool:
    """Say ``worker`` still runs the job; False if the job ended or another worker took it."""
    found = conn.execute(
        "UPDATE job SET heartbeat_at = now() WHERE id = %s AND worker = %s AND status = 'running'"
        " RETURNING id", [job_id, worker]).fetchone()
    return found is not None


def orphaned_jobs(conn: Connection, *, stalled_after_s: float) -> list[int]:
    """Jobs to run that the queue no longer holds (their queue entry was finished by a worker
    taken for dead) and whose lease has lapsed: to be queued again."""
    rows = conn.execute(
        """SELECT j.id FROM job j WHERE j.status IN ('queued', 'running')
             AND coalesce(j.heartbeat_at, j.created_at) < now() - make_interval(secs => %s)
             AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs p WHERE p.id = j.queue_id
                             AND p.status IN ('todo', 'doing'))
           FOR UPDATE OF j SKIP LOCKED""", [stalled_after_s]).fetchall()
    return [int(r[0]) for r in rows]


def lock_progress(conn: Connection, *, job_id: int) -> tuple[str, int, str | None]:
    """The job's status, rows done and lease holder, its row locked until the transaction ends:
    two workers never commit the same chunk (the second sees the first's progress)."""
    row = conn.execute("SELECT status, done, worker FROM job WHERE id = %s FOR UPDATE",
                       [job_id]).fetchone()
    if row is None:
        return "cancelled", 0, None  # deleted
    return str(row[0]), int(row[1]), row[2]


def commit_chunk(conn: Connection, *, job_id: int, start: int, rows: int, out: ChunkOutput,
                 keep_errors: int) -> None:
    """A chunk's output and the job's progress, in the chunk's transaction."""
    conn.execute("INSERT INTO job_chunk (job_id, start, rows, body, extra) "
                 "VALUES (%s, %s, %s, %s, %s)", [job_id, start, rows, out.body, out.extra])
    conn.execute(
        """UPDATE job SET done = done + %(rows)s, updated_at = now(),
               error_count = error_count + %(failed)s,
               errors = CASE WHEN jsonb_array_length(errors) >= %(keep)s THEN errors
                        ELSE errors || %(errors)s END
           WHERE id = %(id)s""",
        {"rows": rows, "failed": len(out.errors), "keep": keep_errors, "id": job_id,
         "errors": Jsonb(out.errors[:keep_errors])})


def set_done(conn: Connection, *, job_id: int, done: int) -> None:
    conn.execute("UPDATE job SET done = %s, updated_at = now() WHERE id = %s", [done, job_id])


def lock_status(conn: Connection, *, job_id: int) -> str:
    row = conn.execute("SELECT status FROM job WHERE id = %s", [job_id]).fetchone()
    return "cancelled" if row is None else str(row[0])


def finish_job(conn: Connection, *, job_id: int, result: bytes | None, worker: str) -> bool:
    """Mark a job done with its result; False if it is no longer running on ``worker``."""
    found = conn.execute(
        """UPDATE job SET status = 'done', total = greatest(total, done),
               done = greatest(total, done), result = %s, input = NULL, finished_at = now(),
               updated_at = now() WHERE id = %s AND status = 'running' AND worker = %s
           RETURNING id""", [result, job_id, worker]).fetchone()
    return found is not None


def fail_job(conn: Connection, *, job_id: int, detail: str, final: bool, worker: str) -> None:
    """Record why ``worker``'s attempt failed; ``final``: no attempt is left (the input is
    dropped)."""
    conn.execute(
        """UPDATE job SET error = %s, updated_at = now(),
               status = CASE WHEN %s THEN 'failed' ELSE 'queued' END,
               finished_at = CASE WHEN %s THEN now() END,
               input = CASE WHEN %s THEN NULL ELSE input END
           WHERE id = %s AND status IN ('queued', 'running') AND worker = %s""",
        [detail, final, final, final, job_id, worker])


def finished_job_ids(conn: Connection, *, job_ids: list[int]) -> list[int]:
    """Which of these jobs are no longer to be run (ended, or deleted)."""
    rows = conn.execute("SELECT id FROM job WHERE id = ANY(%s) AND status IN ('queued', "
                        "'running')", [job_ids]).fetchall()
    alive = {int(r[0]) for r in rows}
    return [i for i in job_ids if i not in alive]
