"""Every kind of job in one place: the caller's jobs (an admin's: everyone's), one job's state,
cancel. The kinds' own URLs (``/geocode/batch/{id}``, ``/layers/jobs/{id}``) answer the same."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from psycopg import Connection

from address.errors import Conflict, NotFound, Unauthorized
from api.auth import Principal, audit
from api.deps import ConnDep, CurrentUser, WriteConn
from api.jobs import Queue, cancel_job, get_job, job_state, list_jobs, submit
from api.params import Paging, paging
from api.schemas.buildings import ConflationCounts
from api.schemas.common import JobAccepted, JobState, Page
from api.schemas.energy import RecomputeCounts
from api.schemas.hotline import RerouteCounts
from api.schemas.layers import LayerUploaded, QualityRun, RasterPublic

router = APIRouter(prefix="/jobs", tags=["jobs"])
WholeResult = (ConflationCounts | QualityRun | RerouteCounts | RasterPublic | LayerUploaded
               | RecomputeCounts)
Status = Literal["queued", "running", "done", "failed", "cancelled"]


def get_queue(request: Request) -> Queue:
    queue: Queue = request.app.state.queue
    return queue


QueueDep = Annotated[Queue, Depends(get_queue)]
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": JobAccepted, "description": "with background=true: a job to poll"}}


def queue_whole(conn: Connection, queue: Queue, *, kind: str, params: dict[str, Any],
                principal: Principal, data: bytes | None = None) -> JSONResponse:
    """Queue a long operation done whole (``api.jobs.calls``); 202 with where to poll."""
    job_id = submit(conn, queue, kind=kind, total=1, params=params, principal=principal,
                    data=data)
    return JSONResponse({"id": job_id, "status": "queued", "total": 1,
                         "href": f"/jobs/{job_id}"}, status_code=202)


@router.get("", summary="The caller's jobs, newest first (an admin sees every job)",
            response_model=Page[JobState])
def jobs(
    conn: ConnDep, principal: CurrentUser,
    page: Annotated[Paging, Depends(paging(default=50, maximum=500))],
    status: Status | None = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    if principal.key_id is None and not principal.has_role("admin"):
        raise Unauthorized("jobs belong to API keys: send yours")
    total, found = list_jobs(conn, principal=principal, status=status, kind=kind,
                             **page.as_dict())
    return {"total": total, **page.as_dict(), "items": [job_state(j) for j in found]}


@router.get("/{job_id}", summary="A job's status, progress, failed rows and result links",
            response_model=JobState)
def job(conn: ConnDep, principal: CurrentUser, job_id: int) -> dict[str, Any]:
    return job_state(get_job(conn, job_id=job_id, principal=principal))


@router.get("/{job_id}/result", summary="A finished job's result (JSON), for the kinds that"
            " keep one: what the operation answers when run in the request",
            response_model=WholeResult)
def job_result(conn: ConnDep, principal: CurrentUser, job_id: int) -> Response:
    job = get_job(conn, job_id=job_id, principal=principal, with_result="csv")
    if job["status"] != "done":
        raise Conflict(f"job {job_id} is {job['status']}; poll /jobs/{job_id}")
    if job.get("result") is None:
        links = job_state(job)["results"] or {}
        raise NotFound(f"job {job_id} keeps no result here; see {', '.join(links.values())}")
    return Response(bytes(job["result"]), media_type="application/json")


@router.delete("/{job_id}", summary="Cancel a queued or running job (what is committed stays)",
               response_model=JobState)
def cancel(conn: WriteConn, principal: CurrentUser, job_id: int) -> dict[str, Any]:
    cancelled = cancel_job(conn, job_id=job_id, principal=principal)
    audit(conn, principal, action="cancel", resource=f"job/{job_id}")
    return job_state(cancelled)
