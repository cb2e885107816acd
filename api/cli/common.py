"""What every CLI command module shares: a database connection (autocommit, or inside the
command's one transaction) and a progress display. psycopg and the settings load only when a
command connects, so ``dizhi --help`` and ``dizhi parse`` start without them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from address.text.encoding import decode_text

if TYPE_CHECKING:
    import psycopg

    from address.engine import Engine

console = Console(stderr=True)


def connect() -> psycopg.Connection:
    """An autocommit connection to the configured database (embedded or DIZHI_DATABASE_URL)."""
    import psycopg

    from api import db
    from api.secret import app_keyring

    app_keyring()
    return psycopg.connect(db.database_url(), autocommit=True)


@contextmanager
def write_conn() -> Iterator[psycopg.Connection]:
    """A connection inside one transaction for a writing command: everything it changes commits
    when the block ends, or nothing does (an error, Ctrl-C). The CLI's ``WriteConn``."""
    with connect() as conn, conn.transaction():
        yield conn


ENGINE_HELP = "local (this process) or ray (DIZHI_RAY_ADDRESS, else a local Ray)"
WORKERS_HELP = "Ray workers (CPUs of a local Ray)"


@contextmanager
def open_cli_engine(name: str, *, conn: psycopg.Connection | None = None, workers: int = 2,
                    setup: Callable[[], None] | None = None) -> Iterator[Engine]:
    """The ``--engine`` of a batch command: ``local`` on ``conn``; ``ray`` workers connect to
    the configured database and join ``DIZHI_RAY_ADDRESS`` or start a local Ray."""
    from address.engine import open_engine
    from api import db
    from api.settings import get_settings

    dsn = db.database_url() if name == "ray" else None
    with open_engine(name, conn=conn, dsn=dsn, workers=workers, setup=setup,
                     address=get_settings().ray_address) as engine:
        yield engine


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console)


def read_text_file(path: Path) -> str:
    """A text file in UTF-8, UTF-8 with BOM or GB18030 (detected; said on stderr)."""
    decoded = decode_text(path.read_bytes(), what=path.name)
    console.print(f"read {path.name} as {decoded.encoding}")
    return decoded.text
