"""Data-quality rules per resource (catalog layer or built-in): the rule set, runs, scores."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.auth import audit
from api.deps import ConnDep, CurrentUser, WriteConn
from api.routes.jobs import ACCEPTED, QueueDep, queue_whole
from api.routes.layers import WriterDep, readable_collection
from api.schemas.layers import QualityRules, QualityRun, QualityRuns, QualityScores
from layers.catalog.access import readable_levels
from layers.catalog.collections import list_collections
from layers.catalog.quality import get_rules, latest_scores, list_runs, run_quality, set_rules

router = APIRouter(prefix="/quality", tags=["data quality"])


@router.get("/scores", summary="The latest score of each resource the caller may read",
            response_model=QualityScores)
def scores(conn: ConnDep, principal: CurrentUser) -> dict[str, Any]:
    readable = {c.id for c in list_collections(conn, levels=readable_levels(principal.role))}
    return {"scores": {k: v for k, v in latest_scores(conn).items() if k in readable}}


@router.get("/{resource}/rules", summary="The resource's rule set (defaults if none is stored)",
            response_model=QualityRules)
def rules(conn: ConnDep, principal: CurrentUser, resource: str) -> dict[str, Any]:
    collection = readable_collection(conn, principal, resource)
    return {"resource": resource, "rules": get_rules(conn, collection=collection)}


@router.put("/{resource}/rules", summary="Replace the resource's rule set",
            response_model=QualityRules)
def replace_rules(
    conn: WriteConn, principal: WriterDep, resource: str,
    new_rules: Annotated[list[dict[str, Any]], Body(examples=[[{"rule": "valid_geometry"}]])],
) -> dict[str, Any]:
    collection = readable_collection(conn, principal, resource)
    stored = set_rules(conn, collection=collection, rules=new_rules)
    audit(conn, principal, action="replace", resource=f"quality/{resource}/rules",
          detail={"rules": len(stored)})
    return {"resource": resource, "rules": stored}


@router.post("/{resource}/runs", status_code=201, summary="Check the rules now; stores a run",
             response_model=QualityRun, responses=ACCEPTED)
def run(conn: WriteConn, principal: WriterDep, resource: str, queue: QueueDep,
        background: bool = False) -> dict[str, Any] | JSONResponse:
    collection = readable_collection(conn, principal, resource)
    if background:
        return queue_whole(conn, queue, kind="quality_run", params={"resource": resource},
                           principal=principal)
    result = run_quality(conn, collection=collection)
    audit(conn, principal, action="run", resource=f"quality/{resource}")
    return result


@router.get("/{resource}/runs", summary="Past runs, newest first", response_model=QualityRuns)
def runs(conn: ConnDep, principal: CurrentUser, resource: str,
         limit: Annotated[int, Query(ge=1, le=200)] = 20) -> dict[str, Any]:
    readable_collection(conn, principal, resource)
    return {"resource": resource, "runs": list_runs(conn, resource=resource, limit=limit)}
