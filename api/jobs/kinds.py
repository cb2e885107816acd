"""What a kind of job is: a class the runner calls, registered under the job's ``kind``.

Two shapes (docs/jobs.md says how to add one):

- a :class:`ChunkedKind` reads its input as rows; the runner takes ``chunk_rows`` of them at a
  time and commits each chunk's output (``job_chunk``), its failed rows and the job's progress in
  one transaction, so a job whose worker dies resumes after its last committed chunk;
- a :class:`SingleKind` does its work in one transaction with the job's ``done`` row (a layer
  upload: the layer is there or not); a job whose worker dies starts that work again.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import Connection

from address.errors import DizhiError
from api.auth import Principal
from api.errors import database_problem
from api.settings import Settings

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Job:
    """A job as its kind sees it."""

    id: int
    kind: str
    params: dict[str, Any]
    total: int
    done: int
    input: bytes | None
    principal: Principal
    work_dir: Path  # emptied before each attempt and after the job: no temp file outlives it
    settings: Settings


@dataclass(frozen=True)
class Row:
    """One input row: its line in the file (for the error report) and its values."""

    line: int
    values: Any


@dataclass
class ChunkOutput:
    """What one chunk produced: its output (``body``, ``extra``) and the rows that failed."""

    body: bytes = b""
    extra: bytes | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, row: Row, reason: str, text: str = "") -> None:
        self.errors.append({"line": row.line, "reason": reason, "text": text})


class ChunkedKind(ABC):
    """Work over rows, committed a chunk at a time."""

    name: str

    @abstractmethod
    def rows(self, job: Job) -> Iterator[Row]:
        """Every input row in order (the runner skips those already done)."""

    @abstractmethod
    def run_chunk(self, conn: Connection, job: Job, rows: Sequence[Row]) -> ChunkOutput:
        """Do ``rows`` inside the chunk's transaction; report a bad row with ``ChunkOutput.fail``
        rather than raising (raising fails the chunk, which is tried again)."""

    def finish(self, conn: Connection, job: Job) -> bytes | None:
        """After the last chunk, in the transaction that marks the job done: its ``result``."""
        return None

    def links(self, job_id: int) -> dict[str, str]:
        """Where a finished job's result is (format → URL)."""
        return {}


class SingleKind(ABC):
    """Work done whole, in one transaction with the job's ``done`` row."""

    name: str

    @abstractmethod
    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        """The work; ``progress(n)`` shows n of ``total`` steps (committed on its own)."""

    def links(self, job_id: int) -> dict[str, str]:
        return {}


Kind = ChunkedKind | SingleKind
KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make ``kind`` runnable by the workers under ``kind.name``."""
    KINDS[kind.name] = kind
    return kind



def work_root(settings: Settings) -> Path:
    """Where jobs keep their temporary files, a directory per job id."""
    assert settings.jobs.work_dir is not None  # set by the settings' validator
    return settings.jobs.work_dir


def safe_detail(exc: Exception) -> str:
    """What a caller may read of why a job or a row failed (never the server's text)."""
    if isinstance(exc, DizhiError):
        return exc.detail
    found = database_problem(exc)
    return found.detail if found else "the job failed"
