"""The queue: procrastinate on the service's own PostgreSQL, one task that runs any job kind.

A route inserts the ``job`` row and defers the queue's job on its own connection, so both commit
with the request or neither does. A worker (``dizhi worker``, or the one ``dizhi serve`` runs in
its process) takes queued jobs, says every ``heartbeat_s`` that it is alive, and looks every
``heartbeat_s`` for jobs held by workers silent for ``stalled_after_s`` (killed, or their machine
lost): those go back to the queue at once and resume from their last committed chunk.
"""

import asyncio
import contextlib
import logging
import shutil
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import procrastinate
import procrastinate.tasks
import psycopg
from procrastinate import exceptions as queue_errors
from procrastinate.job_context import JobContext
from psycopg import Connection
from psycopg_pool import ConnectionPool

from api.jobs.kinds import work_root
from api.jobs.runner import Runner
from api.jobs.store import finished_job_ids, orphaned_jobs, set_queue_id
from api.settings import Settings

log = logging.getLogger(__name__)
QUEUE = "dizhi"


class Queue:
    """procrastinate's app with the job task; ``worker=True`` in a process that runs jobs."""

    def __init__(self, url: str, settings: Settings, *, worker: bool = False) -> None:
        self.url, self.settings = url, settings
        connector = (procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=4)
                     if worker else procrastinate.SyncPsycopgConnector(conninfo=url))
        self.app = procrastinate.App(connector=connector)
        self.task = self._register(self.app)
        # deferring on a caller's (sync) connection needs procrastinate's sync connector
        self.deferrer = self._register(procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(conninfo=url))) if worker else self.task
        self.runner: Runner | None = None
        self.stopping = threading.Event()

    def _register(self, app: procrastinate.App) -> procrastinate.tasks.Task[Any, Any, Any]:
        jobs = self.settings.jobs
        retry = procrastinate.RetryStrategy(max_attempts=max(jobs.max_attempts - 1, 0),
                                            exponential_wait=jobs.retry_wait_s)
        return app.task(name="dizhi.run_job", queue=QUEUE, pass_context=True,
                        retry=retry)(self._run)

    def defer(self, conn: Connection, *, job_id: int) -> int:
        """Queue job ``job_id`` on ``conn``: it commits with the caller's transaction."""
        queue_id = self.deferrer.configure(connection=conn).defer(job_id=job_id)
        set_queue_id(conn, job_id=job_id, queue_id=queue_id)
        return queue_id

    def _run(self, context: JobContext, job_id: int) -> None:
        assert self.runner is not None and context.job is not None
        last = context.job.attempts + 1 >= self.settings.jobs.max_attempts
        self.runner.run(job_id, last_attempt=last)

    async def work(self, *, name: str = "dizhi") -> None:
        """Run jobs until cancelled; started again a second after it fails (the database went
        away: the pools reconnect, the queue's jobs wait)."""
        while not self.stopping.is_set():
            try:
                await self._work_once(name=name)
            except Exception:
                log.exception("the worker stopped; starting again in a second")
                await asyncio.sleep(1.0)

    async def _work_once(self, *, name: str) -> None:
        jobs = self.settings.jobs
        with ConnectionPool(self.url, min_size=1, max_size=jobs.concurrency + 2, timeout=5,
                            open=True) as pool:
            self.runner = Runner(pool=pool, settings=self.settings, stopping=self.stopping)
            await asyncio.to_thread(self._clean_work_dirs, pool)
            try:  # not `async with`: a stop while the pool opens must close it too
                await self.app.open_async()
                await self._run_worker(name)
            finally:
                await self.app.close_async()

    async def _run_worker(self, name: str) -> None:
        jobs = self.settings.jobs
        sweeper = asyncio.create_task(self._retry_stalled(), name="retry stalled jobs")
        try:
            await self.app.run_worker_async(
                queues=[QUEUE], name=name, concurrency=jobs.concurrency,
                install_signal_handlers=False, fetch_job_polling_interval=1.0,
                update_heartbeat_interval=jobs.heartbeat_s,
                stalled_worker_timeout=jobs.stalled_after_s, delete_jobs="successful")
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper

    async def _retry_stalled(self) -> None:
        jobs, manager = self.settings.jobs, self.app.job_manager
        while True:
            await asyncio.sleep(jobs.heartbeat_s)
            try:
                for stalled in await manager.get_stalled_jobs(
                        queue=QUEUE, seconds_since_heartbeat=jobs.stalled_after_s):
                    log.warning("job %s's worker is silent: queued again", stalled.id)
                    # another worker may have taken it back first
                    with contextlib.suppress(queue_errors.ConnectorException):
                        await manager.retry_job(stalled)
                await asyncio.to_thread(self._requeue_orphans)
            except (queue_errors.ConnectorException, psycopg.Error):
                log.exception("could not look for stalled jobs")

    def _requeue_orphans(self) -> None:
        """Queue again the jobs whose queue entry a worker taken for dead finished, once their
        lease lapses (the worker that took them over died too)."""
        assert self.runner is not None
        with self.runner.pool.connection() as conn, conn.transaction():
            for job_id in orphaned_jobs(conn, stalled_after_s=self.settings.jobs.stalled_after_s):
                log.warning("job %s is held by no worker: queued again", job_id)
                self.defer(conn, job_id=job_id)

    def _clean_work_dirs(self, pool: ConnectionPool) -> None:
        """Remove what killed attempts left for jobs that have ended since."""
        root = work_root(self.settings)
        if not root.is_dir():
            return
        ids = [int(p.name) for p in root.iterdir() if p.name.isdigit()]
        with pool.connection() as conn:
            for job_id in finished_job_ids(conn, job_ids=ids):
                shutil.rmtree(root / str(job_id), ignore_errors=True)


def run_worker(queue: Queue, *, name: str = "dizhi") -> None:
    """Run a worker in this process's main thread until SIGINT or SIGTERM (``dizhi worker``)."""

    async def main() -> None:
        task = asyncio.create_task(queue.work(name=name))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, _stopper(queue, task))
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())


def _stopper(queue: Queue, task: "asyncio.Task[None]") -> Callable[[], None]:
    def stop() -> None:
        queue.stopping.set()  # the running job stops at its next chunk
        task.cancel()

    return stop


class InProcessWorker:
    """One worker on a thread of the server (``dizhi serve`` without ``--no-worker``)."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dizhi-worker",
                                       daemon=True)
        self.future: Future[None] | None = None
        self.finished = threading.Event()

    def start(self) -> "InProcessWorker":
        self.thread.start()
        self.future = asyncio.run_coroutine_threadsafe(self._work(), self.loop)
        return self

    async def _work(self) -> None:
        try:
            await self.queue.work(name="dizhi-serve")
        except Exception:
            log.exception("the in-process worker stopped")
        finally:
            self.finished.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop between chunks (a running job resumes on the next worker) and end the thread."""
        self.queue.stopping.set()
        if self.future is not None:
            self.future.cancel()  # cancels the worker's task on its loop
        self.finished.wait(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if not self.thread.is_alive():
            self.loop.close()
