"""Address imports as a job: the request stages the rows (``import_row``) and queues the job in
its one transaction; a worker imports every staged row and writes the report, in one transaction.

Done whole rather than in committed chunks: a worker killed mid-way leaves nothing imported, and
the next attempt imports the staged rows from the start (they stay staged until the import ends).
"""

import json

from psycopg import Connection

from address.register.imports.report import import_report
from address.register.imports.run import run_import
from api.jobs.kinds import Job, Progress, SingleKind, register

MAX_ERRORS = 1000  # rejected rows in the job's result and GET /imports/{id} (--report has all)


class AddressImport(SingleKind):
    name = "address_import"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        import_id = int(job.params["import_id"])
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            progress(done)

        run_import(conn, import_id=import_id, progress=advance)
        report = import_report(conn, import_id=import_id, max_errors=MAX_ERRORS)
        return json.dumps(report, ensure_ascii=False, default=str).encode()

    def links(self, job_id: int) -> dict[str, str]:
        return {"json": f"/jobs/{job_id}/result"}


ADDRESS_IMPORT = register(AddressImport())
