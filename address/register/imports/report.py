"""An import's report: its counts, conflicts by kind and each rejected row with line and reason.
"""

from collections.abc import Iterable
from typing import Any

from psycopg import Connection

from address.errors import NotFound
from address.register.imports.chunk import ImportOptions
from address.register.imports.run import OUTCOMES, create_import, run_import, stage_rows
from address.register.sources import SourceRow
from address.report import ImportReport


def import_report(conn: Connection, *, import_id: int,
                  max_errors: int | None = None) -> dict[str, Any]:
    """``rows``, ``created``, ``matched``, ``pending``, ``rejected``, ``conflicts`` (by kind),
    ``errors`` (line, reason, text; the first ``max_errors`` when given)."""
    row = conn.execute(
        """SELECT source, filename, status, rows_total, summary, created_at, finished_at
           FROM address_import WHERE id = %s""", [import_id]).fetchone()
    if row is None:
        raise NotFound(f"no import {import_id}")
    source, filename, status, total, summary, created, finished = row
    errors = conn.execute(
        "SELECT line, reason, text FROM import_error WHERE import_id = %s ORDER BY line LIMIT %s",
        [import_id, max_errors]).fetchall()
    conflicts = {k.split(":", 1)[1]: v for k, v in summary.items() if k.startswith("conflict:")}
    return {"id": import_id, "source": source, "filename": filename, "status": status,
            "rows": total, **{k: int(summary.get(k, 0)) for k in OUTCOMES},
            "conflicts": conflicts,
            "errors": [{"line": line, "reason": reason, "text": text}
                       for line, reason, text in errors],
            "created_at": created, "finished_at": finished}


def as_import_report(report: dict[str, Any]) -> ImportReport:
    """The report as the one :class:`address.report.ImportReport` (read, imported, failed rows)."""
    result = ImportReport(source=report["source"], read=report["rows"],
                          counts={k: report[k] for k in OUTCOMES},
                          details={"import_id": report["id"], "conflicts": report["conflicts"]})
    result.imported = report["created"] + report["matched"] + report["pending"]
    for error in report["errors"]:
        result.fail(error["line"], error["reason"], error["text"])
    return result


def import_rows(conn: Connection, options: ImportOptions,
                rows: Iterable[SourceRow]) -> ImportReport:
    """Stage, import and report in the caller's one transaction (the sample loader, tests)."""
    import_id = create_import(conn, options)
    stage_rows(conn, import_id=import_id, rows=rows)
    run_import(conn, import_id=import_id)
    return as_import_report(import_report(conn, import_id=import_id))
