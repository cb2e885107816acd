"""Every kind of job in one place: the caller's jobs (an admin's: everyone's), one job's state,
cancel. The kinds' own URLs (``/geocode/batch/{id}``, ``/layers/jobs/{id}``) answer the same."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from address.errors import Unauthorized
from api.auth import audit
from api.deps import ConnDep, CurrentUser, WriteConn
from api.jobs import Queue, cancel_job, get_job, job_state, list_jobs
from api.params import Paging, paging
from api.schemas.common import JobState, Page

router = APIRouter(prefix="/jobs", tags=["jobs"])
Status = Literal["queued", "running", "done", "failed", "cancelled"]


def get_queue(request: Request) -> Queue:
    queue: Queue = request.app.state.queue
    return queue


QueueDep = Annotated[Queue, Depends(get_queue)]


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


@router.delete("/{job_id}", summary="Cancel a queued or running job (what is committed stays)",
               response_model=JobState)
def cancel(conn: WriteConn, principal: CurrentUser, job_id: int) -> dict[str, Any]:
    cancelled = cancel_job(conn, job_id=job_id, principal=principal)
    audit(conn, principal, action="cancel", resource=f"job/{job_id}")
    return job_state(cancelled)
