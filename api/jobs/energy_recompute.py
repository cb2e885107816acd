"""An energy recompute as a job: the queue of changed days (``energy_dirty_day``) worked through
by ``layers.energy.recompute.recompute``, a chunk of meters per committed chunk.

The job's rows are the meters queued when it was submitted (a count: the queue itself says
which, ``recompute`` takes its head). Each chunk of ``chunk_rows`` rows runs one ``recompute`` of
that many meters in the chunk's transaction, so a worker killed mid-way leaves the chunk's days
queued and the next worker carries on from the last committed chunk. The last step (in the
transaction that marks the job done) works off what is left: days past ``days`` per meter, days
queued since. The result is the summed report.
"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

from psycopg import Connection

from api.jobs.kinds import ChunkedKind, ChunkOutput, Job, Row, register
from layers.energy.recompute import RecomputeReport, recompute, recompute_all

COUNTS = ("meters", "days", "intervals", "alarms")


def queued_meters(conn: Connection) -> int:
    """The meters with days in the recompute queue (the job's ``total``)."""
    row = conn.execute("SELECT count(DISTINCT meter_id) FROM energy_dirty_day").fetchone()
    return int(row[0]) if row else 0


def _counts(report: RecomputeReport) -> dict[str, int]:
    return {name: int(getattr(report, name)) for name in COUNTS}


class EnergyRecompute(ChunkedKind):
    name = "energy_recompute"

    def rows(self, job: Job) -> Iterator[Row]:
        return (Row(line=n + 1, values=None) for n in range(job.total))

    def run_chunk(self, conn: Connection, job: Job, rows: Sequence[Row]) -> ChunkOutput:
        report = recompute(conn, max_meters=len(rows), max_days=int(job.params["days"]))
        return ChunkOutput(body=json.dumps(_counts(report)).encode())

    def finish(self, conn: Connection, job: Job) -> bytes | None:
        total = _counts(recompute_all(conn, max_meters=job.settings.jobs.chunk_rows,
                                      max_days=int(job.params["days"])))
        for (body,) in conn.execute("SELECT body FROM job_chunk WHERE job_id = %s ORDER BY start",
                                    [job.id]):
            chunk: dict[str, Any] = json.loads(bytes(body) or b"{}")
            total = {name: total[name] + int(chunk.get(name, 0)) for name in COUNTS}
        return json.dumps(total).encode()

    def links(self, job_id: int) -> dict[str, str]:
        return {"json": f"/jobs/{job_id}/result"}


ENERGY_RECOMPUTE = register(EnergyRecompute())
