"""What every CLI command module shares: a database connection (autocommit, or inside the
command's one transaction) and a progress display. psycopg and the settings load only when a
command connects, so ``dizhi --help`` and ``dizhi parse`` start without them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
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


STDIN_BATCH = 4096  # lines parsed in one batch from a pipe or file (one at a time at a terminal)


def stdin_batch_size() -> int:
    return 1 if sys.stdin.isatty() else STDIN_BATCH


def batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    """``lines`` (each with its line end stripped) ``size`` at a time, the last batch shorter."""
    it = iter(lines)
    while batch := [line.rstrip("\r\n") for line in islice(it, size)]:
        yield batch


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
