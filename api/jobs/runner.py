"""One attempt at a job, on a worker: the chunk loop, cancellation, failures, the work directory.

Nothing here knows the queue: ``api.jobs.queue`` calls :meth:`Runner.run` from its task, with
whether this is the last attempt the retry strategy allows.
"""

import contextlib
import itertools
import logging
import os
import shutil
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from psycopg import Connection
from psycopg_pool import ConnectionPool

from address.errors import DizhiError
from api.auth import Principal
from api.jobs.kinds import ChunkedKind, Job, SingleKind, safe_detail, work_root
from api.jobs.registered import kind_of
from api.jobs.store import (
    begin_attempt,
    commit_chunk,
    fail_job,
    finish_job,
    lock_progress,
    lock_status,
    renew_lease,
    set_done,
)
from api.settings import Settings

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # shown in the job's state
T = TypeVar("T")


class WorkerStopping(Exception):
    """The worker is shutting down between chunks: the job is tried again (from its last
    committed chunk) by the next worker."""


class _Superseded(Exception):
    """The job was cancelled (or finished elsewhere) while this attempt ran: roll it back."""


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


@dataclass
class Runner:
    pool: ConnectionPool
    settings: Settings
    stopping: threading.Event = field(default_factory=threading.Event)

    def run(self, job_id: int, *, last_attempt: bool) -> None:
        with self.pool.connection() as conn:
            row = begin_attempt(conn, job_id=job_id, worker=WORKER,
                                stalled_after_s=self.settings.jobs.stalled_after_s)
        if row is None:
            return  # cancelled, done, or still run by a worker that is only slow
        job = self._job(row)
        shutil.rmtree(job.work_dir, ignore_errors=True)  # what a killed attempt left
        with self._lease(job.id):
            self._attempt(job, last_attempt=last_attempt)

    @contextlib.contextmanager
    def _lease(self, job_id: int) -> Iterator[None]:
        """Renew this worker's lease on the job every ``heartbeat_s`` while it runs."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.settings.jobs.heartbeat_s):
                try:
                    with self.pool.connection() as conn:
                        if not renew_lease(conn, job_id=job_id, worker=WORKER):
                            return  # ended, or taken over: the next chunk sees it
                except Exception:
                    log.exception("could not renew the lease on job %s", job_id)

        thread = threading.Thread(target=renew, name=f"lease-{job_id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _attempt(self, job: Job, *, last_attempt: bool) -> None:
        job_id = job.id
        try:
            kind = kind_of(job.kind)
            if isinstance(kind, ChunkedKind):
                self._chunks(kind, job)
            else:
                self._single(kind, job)
        except WorkerStopping:
            raise
        except DizhiError as exc:  # the caller's input: trying again would fail again
            self._fail(job_id, exc.detail, final=True)
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, job.kind)
            self._fail(job_id, safe_detail(exc), final=last_attempt)
            raise
        finally:
            shutil.rmtree(job.work_dir, ignore_errors=True)

    def _job(self, row: dict[str, Any]) -> Job:
        principal = Principal(role=row["role"] or "public", key_id=row["key_id"],
                              name=row["name"] or "anonymous")
        return Job(id=row["id"], kind=row["kind"], params=row["params"], total=row["total"],
                   done=row["done"], input=None if row["input"] is None else bytes(row["input"]),
                   principal=principal, settings=self.settings,
                   work_dir=work_root(self.settings) / str(row["id"]))

    def _fail(self, job_id: int, detail: str, *, final: bool) -> None:
        with self.pool.connection() as conn:
            fail_job(conn, job_id=job_id, detail=detail, final=final, worker=WORKER)

    def _chunks(self, kind: ChunkedKind, job: Job) -> None:
        start = job.done
        rows = itertools.islice(kind.rows(job), start, None)
        for chunk in batched(rows, self.settings.jobs.chunk_rows):
            if self.stopping.is_set():
                raise WorkerStopping
            with self.pool.connection() as conn, conn.transaction():
                if not self._still_mine(conn, job.id, start):
                    return
                out = kind.run_chunk(conn, job, chunk)
                commit_chunk(conn, job_id=job.id, start=start, rows=len(chunk), out=out,
                                   keep_errors=self.settings.jobs.keep_errors)
            start += len(chunk)
        with self.pool.connection() as conn, conn.transaction():
            if self._still_mine(conn, job.id, start):
                finish_job(conn, job_id=job.id, result=kind.finish(conn, job), worker=WORKER)

    @staticmethod
    def _still_mine(conn: Connection, job_id: int, start: int) -> bool:
        """Still running with ``start`` rows done and this worker's lease: not cancelled, not
        taken over by another worker (this one was taken for dead)."""
        status, done, holder = lock_progress(conn, job_id=job_id)
        return status == "running" and done == start and holder == WORKER

    def _single(self, kind: SingleKind, job: Job) -> None:
        def progress(done: int) -> None:
            with self.pool.connection() as side:
                set_done(side, job_id=job.id, done=done)

        job.work_dir.mkdir(parents=True, exist_ok=True)
        try:
            with self.pool.connection() as conn, conn.transaction():
                # one attempt at a time; the next sees this one's outcome
                conn.execute("SELECT pg_advisory_xact_lock(7231, %s::int)", [job.id])
                if lock_status(conn, job_id=job.id) != "running":
                    return
                result = kind.run(conn, job, progress)
                if not finish_job(conn, job_id=job.id, result=result, worker=WORKER):
                    raise _Superseded
        except _Superseded:
            return
