"""``dizhi worker``: a process that runs queued jobs (docs/jobs.md)."""

import logging
from typing import Annotated

import typer

from api.cli.common import console


def worker_command(
    concurrency: Annotated[int | None, typer.Option(
        help="jobs run at once (default DIZHI_JOBS__CONCURRENCY, 1)")] = None,
    name: Annotated[str, typer.Option(help="the worker's name in the logs")] = "dizhi-worker",
) -> None:
    """Run queued jobs (batch geocoding, background layer uploads …) until SIGINT or SIGTERM;
    start as many as the machine has cores for. A killed worker's jobs resume on another."""
    from api import db
    from api.jobs.queue import Queue, run_worker
    from api.settings import get_settings

    settings = get_settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"jobs": settings.jobs.model_copy(
            update={"concurrency": concurrency})})
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    console.print(f"dizhi worker {name}: {settings.jobs.concurrency} at a time")
    run_worker(Queue(db.database_url(settings), settings, worker=True), name=name)
