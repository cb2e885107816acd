"""Energy recomputes as durable jobs: ``POST /energy/recompute`` queues the recompute queue's
work (``api.jobs.energy_recompute``) for the workers and answers 202 with the job to poll."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.auth import audit
from api.deps import WriteConn
from api.jobs import submit
from api.jobs.energy_recompute import queued_meters
from api.routes.energy import EnergyWriter
from api.routes.jobs import QueueDep
from api.schemas.common import JobAccepted

router = APIRouter(prefix="/energy", tags=["energy"])


@router.post("/recompute", status_code=202, response_model=JobAccepted,
             summary="Clean, roll up and scan what the recompute queue holds, as a job")
def recompute_job(
    conn: WriteConn, principal: EnergyWriter, queue: QueueDep,
    days: Annotated[int, Query(ge=1, le=366, description="queued days per meter a chunk")]
    = 62,
) -> JSONResponse:
    total = queued_meters(conn)
    job_id = submit(conn, queue, kind="energy_recompute", total=total, params={"days": days},
                    principal=principal)
    audit(conn, principal, action="recompute", resource="energy/recompute",
          detail={"job": job_id, "meters": total, "days": days})
    return JSONResponse({"id": job_id, "status": "queued", "total": total,
                         "href": f"/jobs/{job_id}"}, status_code=202)
