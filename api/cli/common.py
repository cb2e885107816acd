"""What every CLI command module shares: a database connection (autocommit, or inside the
command's one transaction) and a progress display."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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

from address.text.encoding import decode_text
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


def read_text_file(path: Path) -> str:
    """A text file in UTF-8, UTF-8 with BOM or GB18030 (detected; said on stderr)."""
    decoded = decode_text(path.read_bytes(), what=path.name)
    console.print(f"read {path.name} as {decoded.encoding}")
    return decoded.text


def stdin_lines() -> Iterator[str]:
    """Standard input's lines; from a pipe or file the encoding is detected as for files (the
    whole input is read first), at a terminal the terminal's encoding is used."""
    if sys.stdin.isatty():
        yield from sys.stdin
        return
    decoded = decode_text(sys.stdin.buffer.read(), what="standard input")
    if decoded.encoding != "utf-8":
        console.print(f"read standard input as {decoded.encoding}")
    text = decoded.text
    yield from text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
