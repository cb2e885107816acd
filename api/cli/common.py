"""What every CLI command module shares: a database connection (autocommit, or inside the
command's one transaction) and a progress display. psycopg and the settings load only when a
command connects, so ``dizhi --help`` and ``dizhi parse`` start without them."""

from __future__ import annotations

from collections.abc import Iterator
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


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console)


def read_text_file(path: Path) -> str:
    """A text file in UTF-8, UTF-8 with BOM or GB18030 (detected; said on stderr)."""
    decoded = decode_text(path.read_bytes(), what=path.name)
    console.print(f"read {path.name} as {decoded.encoding}")
    return decoded.text
