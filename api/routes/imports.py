"""Address imports over HTTP (steward): upload a CSV, the import runs as a job, poll its report.

The request stages the rows (COPY) and queues the job in its one transaction; a worker imports
them (``api.jobs.calls.AddressImport``) and writes the report.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, UploadFile, status

from address.errors import TooLarge
from address.register.imports.chunk import ImportOptions
from address.register.imports.report import import_report
from address.register.imports.run import create_import, stage_rows
from address.register.sources import csv_rows, parse_columns
from address.text.encoding import decode_text
from api.auth import Principal, audit
from api.deps import ConnDep, WriteConn, require_roles
from api.jobs import submit
from api.jobs.calls import MAX_ERRORS
from api.routes.jobs import QueueDep
from api.schemas.places import ImportAccepted, ImportReportPublic
from api.settings import get_settings
from api.state import DistrictsDep
from api.uploads import MB, LimitsDep
from spatial.coords import parse_coordsys, rows_to_wgs84

router = APIRouter(tags=["register"])
Steward = Annotated[Principal, Depends(require_roles("steward"))]


@router.post("/imports", status_code=status.HTTP_202_ACCEPTED, response_model=ImportAccepted,
             summary="Import an address source (CSV): a job; poll /imports/{id} (steward)")
async def post_import(
    conn: WriteConn, principal: Steward, file: UploadFile, queue: QueueDep,
    limits: LimitsDep, districts: DistrictsDep,
    source: Annotated[str, Form(min_length=1, max_length=100)],
    coordsys: Annotated[str, Form()] = "wgs84",
    columns: Annotated[str | None, Form(description="text=地址,lng=经度,lat=纬度")] = None,
) -> dict[str, Any]:
    system = parse_coordsys(coordsys)
    data = await file.read(limits.upload_mb * MB + 1)
    if len(data) > limits.upload_mb * MB:
        raise TooLarge(f"the file is larger than {limits.upload_mb} MB")
    decoded = decode_text(data, what=file.filename or "the file")
    rows = rows_to_wgs84(csv_rows(decoded.text, columns=parse_columns(columns)), system)
    options = ImportOptions(source=source, filename=file.filename or "", coordsys=system,
                            districts=districts,
                            far_m=get_settings().registry.conflict_distance_m)
    import_id = create_import(conn, options)
    total = stage_rows(conn, import_id=import_id, rows=rows)
    job_id = submit(conn, queue, kind="address_import", total=total,
                    params={"import_id": import_id, "source": source,
                            "encoding": decoded.encoding}, principal=principal)
    audit(conn, principal, action="import", resource=f"import/{import_id}",
          detail={"source": source, "rows": total, "job": job_id})
    return {"id": import_id, "job_id": job_id, "status": "queued", "total": total,
            "href": f"/imports/{import_id}"}


@router.get("/imports/{import_id}", response_model=ImportReportPublic,
            summary="An import's progress and report (steward)")
def get_import(conn: ConnDep, import_id: int, principal: Steward) -> dict[str, Any]:
    report = import_report(conn, import_id=import_id, max_errors=MAX_ERRORS)
    job = conn.execute(
        """SELECT id, status, total, done, error FROM job WHERE kind = 'address_import'
             AND (params ->> 'import_id')::bigint = %s ORDER BY id DESC LIMIT 1""",
        [import_id]).fetchone()
    if job:
        report["job"] = dict(zip(("id", "status", "total", "done", "error"), job, strict=True))
    return report
