"""Batch geocoding as a chunked job: the uploaded CSV is the job's input; each chunk's rows are
geocoded and their CSV lines and GeoJSON features committed with the job's progress. The result
is the chunks in order, streamed (never one value in memory).

A row that cannot be geocoded (a NUL byte, a text the database refuses) is reported in the job's
errors with its line and left out of the result; the other rows of its chunk are kept.
"""

import csv
import io
import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from cachetools import LRUCache
from psycopg import Connection

from address.geocode.batch import csv_fields, geocode_texts, geojson_features, write_csv
from address.geocode.memo import BatchMemo, new_memo
from address.geocode.results import GeocodeResult
from api.jobs.kinds import ChunkedKind, ChunkOutput, Job, Row, register, safe_detail
from spatial.coords import output_transform, parse_coordsys

NUL = "\x00"
_MEMOS: LRUCache[int, BatchMemo] = LRUCache(maxsize=2)  # by job, on this worker, until done
_MEMOS_LOCK = threading.Lock()


def _memo(job_id: int) -> BatchMemo:
    """The register look-ups a job's earlier chunks made on this worker (``batch_memo``)."""
    with _MEMOS_LOCK:
        memo = _MEMOS.get(job_id)
        if memo is None:
            memo = _MEMOS[job_id] = new_memo()
        return memo


def _text(row: Row) -> str:
    return str(row.values.get("text") or "")


class GeocodeBatch(ChunkedKind):
    name = "geocode_batch"

    def rows(self, job: Job) -> Iterator[Row]:
        assert job.input is not None
        reader = csv.DictReader(io.StringIO(job.input.decode("utf-8").lstrip("\ufeff")))
        for values in reader:
            yield Row(line=reader.line_num, values=values)

    def run_chunk(self, conn: Connection, job: Job, rows: Sequence[Row]) -> ChunkOutput:
        out = ChunkOutput()
        good = []
        for row in rows:
            if any(NUL in (v or "") for v in row.values.values()):
                out.fail(row, "the row contains a NUL byte", _text(row).replace(NUL, ""))
            else:
                good.append(row)
        results = self._geocode(conn, job, good, out)
        kept = [row for row in good if row.line in results]
        found = [results[row.line] for row in kept]
        values = [row.values for row in kept]
        transform = output_transform(parse_coordsys(job.params.get("coordsys", "wgs84")))
        out.body = write_csv(values, found, job.params["columns"], transform,
                             header=False).encode()
        features = geojson_features(values, found, transform)
        out.extra = ",".join(json.dumps(f, ensure_ascii=False) for f in features).encode()
        return out

    @staticmethod
    def _geocode(conn: Connection, job: Job, rows: list[Row],
                 out: ChunkOutput) -> dict[int, GeocodeResult]:
        """Every row's result by line: the chunk at once, or (if that fails) row by row, each
        in a savepoint, the failing ones reported."""
        districts = tuple(job.params["districts"])
        texts = [_text(row) for row in rows]
        memo = _memo(job.id)
        try:
            with conn.transaction():
                found = geocode_texts(conn, texts, districts=districts, memo=memo)
            return {row.line: r for row, r in zip(rows, found, strict=True)}
        except Exception:  # one bad row: find it, keep the others
            pass
        results = {}
        for row, text in zip(rows, texts, strict=True):
            try:
                with conn.transaction():
                    results[row.line] = geocode_texts(conn, [text], districts=districts,
                                                      memo=memo)[0]
            except Exception as exc:
                out.fail(row, safe_detail(exc), text)
        return results

    def finish(self, conn: Connection, job: Job) -> bytes | None:
        with _MEMOS_LOCK:
            _MEMOS.pop(job.id, None)
        return None

    def links(self, job_id: int) -> dict[str, str]:
        return {fmt: f"/geocode/batch/{job_id}/result?format={fmt}" for fmt in ("csv", "geojson")}


def result_parts(conn: Connection, *, job_id: int, params: dict[str, Any],
                 fmt: str) -> Iterator[bytes]:
    """A finished batch's CSV (header, then every chunk) or GeoJSON, in input order."""
    column = "body" if fmt == "csv" else "extra"
    if fmt == "csv":
        head = io.StringIO()
        csv.writer(head).writerow(csv_fields(params["columns"]))
        yield head.getvalue().encode()
    else:
        yield b'{"type": "FeatureCollection", "features": ['
    first = True
    with conn.transaction(), conn.cursor(name=f"job_{job_id}_result") as cur:
        cur.execute(f"SELECT {column} FROM job_chunk WHERE job_id = %s ORDER BY start",
                    [job_id])
        for (part,) in cur:
            if fmt == "geojson" and part and not first:
                yield b","
            if part:
                first = False
                yield bytes(part)
    if fmt == "geojson":
        yield b"]}"


GEOCODE_BATCH = register(GeocodeBatch())
