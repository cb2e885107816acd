"""What every CLI command module shares: a database connection (autocommit, or inside the
command's one transaction) and a progress display."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from api import db
from api.secret import app_keyring

console = Console(stderr=True)


def connect() -> psycopg.Connection:
    """An autocommit connection to the configured database (embedded or DIZHI_DATABASE_URL)."""
    app_keyring()
    return psycopg.connect(db.database_url(), autocommit=True)


@contextmanager
def write_conn() -> Iterator[psycopg.Connection]:
    """A connection inside one transaction for a writing command: everything it changes commits
    when the block ends, or nothing does (an error, Ctrl-C). The CLI's ``WriteConn``."""
    with connect() as conn, conn.transaction():
        yield conn


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console)
