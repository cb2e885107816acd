"""What every CLI command module shares: a database connection and a progress display."""

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

console = Console(stderr=True)


def connect() -> psycopg.Connection:
    """An autocommit connection to the configured database (embedded or DIZHI_DATABASE_URL)."""
    return psycopg.connect(db.database_url(), autocommit=True)


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=console)
