"""``dizhi energy import``'s pipeline: a file of readings read in pieces, each piece parsed on
one thread while earlier ones are written, and written on several connections at once.

The meters are shared out among the connections by a hash of their id, so every reading of a
meter goes through the same connection, in the order of the file: the last of a (meter, ts)
in a piece wins and a later piece's value corrects an earlier one, as with one connection.
Each connection's share of a piece is one transaction; a re-run after a failure completes the
file (the same readings again change nothing). A piece the client cannot parse (an unusual
header, an empty field, …) waits for everything before it and goes through the server's path,
which words the error exactly.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import numpy.typing as npt
from psycopg import Connection

from layers.energy.batch import SHANGHAI_US, Batch, from_csv
from layers.energy.readings import (
    EMPTY,
    EPOCH,
    IngestReport,
    ensure_partitions,
    ingest_batch,
    ingest_csv,
)

BOM = b"\xef\xbb\xbf"
AHEAD = 2  # pieces parsed or in flight beyond the one being handed out: bounds the memory


@dataclass(frozen=True)
class Piece:
    data: bytes
    header: bool


def pieces(chunks: Iterable[bytes]) -> Iterator[Piece]:
    """The file's chunks as pieces: the first without its byte order mark and with the
    header line, the rest without."""
    for i, chunk in enumerate(chunks):
        yield Piece(chunk.removeprefix(BOM) if i == 0 else chunk, header=i == 0)


class Shares:
    """Batches split into ``n`` by meter id ranges: the bounds come from the first batch's
    meters and stay, so a meter is always in the same share whatever the piece, and each
    connection writes its own stretch of the primary key (two writers sharing index pages
    wait on each other)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.bounds: npt.NDArray[np.str_] | None = None

    def __call__(self, batch: Batch) -> list[Batch]:
        if self.n == 1:
            return [batch]
        if self.bounds is None:
            cut = np.linspace(0, len(batch.meters), self.n + 1)[1:-1].astype(int)
            self.bounds = np.array(batch.meters)[cut]
        owner = np.searchsorted(self.bounds, np.array(batch.meters), side="right")
        rows = owner[batch.meter]
        return [batch.take(rows == k) for k in range(self.n)]


def _write(conn: Connection, batch: Batch, source: str) -> IngestReport:
    with conn.transaction():
        return ingest_batch(conn, batch=batch, source=source)


def _ensure(conn: Connection, batch: Batch) -> None:
    """The month partitions ``batch`` needs, made and committed before its shares are written:
    writers making the same partition at once would collide."""
    first, last = (EPOCH + timedelta(microseconds=int(t))
                   for t in (batch.ts.min(), batch.ts.max()))
    with conn.transaction():
        ensure_partitions(conn, table="reading", first=first, last=last)


def _months(batch: Batch) -> set[int]:
    """The Asia/Shanghai months (since 1970-01) from the batch's first reading to its last."""
    ends = np.array([batch.ts.min(), batch.ts.max()]) + SHANGHAI_US
    first, last = ends.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64).tolist()
    return set(range(first, last + 1))


def _write_text(conn: Connection, piece: Piece, source: str) -> IngestReport:
    with conn.transaction():
        return ingest_csv(conn, data=piece.data, header=piece.header, source=source)


def import_pieces(connect: Callable[[], Connection], *, chunks: Iterable[bytes],
                  connections: int = 2, source: str = "import",
                  done: Callable[[int], None] = lambda size: None) -> IngestReport:
    """Write the CSV ``chunks`` (each ending at a line's end, the first with the header) on
    ``connections`` connections from ``connect``; ``done(bytes)`` after each piece is in."""
    with ExitStack() as stack:
        conns = [stack.enter_context(connect()) for _ in range(connections)]
        writers = [stack.enter_context(ThreadPoolExecutor(1)) for _ in conns]
        parser = stack.enter_context(ThreadPoolExecutor(1))
        parsed: deque[tuple[Piece, Future[Batch | None]]] = deque()
        flight: deque[tuple[int, list[Future[IngestReport]]]] = deque()
        total, shares, ensured = EMPTY, Shares(len(conns)), set[int]()

        def settle(keep: int) -> None:
            nonlocal total
            while len(flight) > keep:
                size, futures = flight.popleft()
                for future in futures:
                    total += future.result()
                done(size)

        def hand_out() -> None:
            piece, future = parsed.popleft()
            if (batch := future.result()) is None:
                settle(0)
                total_piece = _write_text(conns[0], piece, source)
                flight.append((len(piece.data), [_resolved(total_piece)]))
            else:
                months = _months(batch)
                if len(conns) > 1 and not months <= ensured:
                    writers[0].submit(_ensure, conns[0], batch).result()
                    ensured.update(months)
                flight.append((len(piece.data), [
                    w.submit(_write, c, share, source)
                    for w, c, share in zip(writers, conns, shares(batch),
                                           strict=True) if len(share)]))
            settle(AHEAD)

        for piece in pieces(chunks):
            parsed.append((piece, parser.submit(from_csv, piece.data, header=piece.header)))
            if len(parsed) > AHEAD:
                hand_out()
        while parsed:
            hand_out()
        settle(0)
        return total


def _resolved(report: IngestReport) -> "Future[IngestReport]":
    future: Future[IngestReport] = Future()
    future.set_result(report)
    return future
