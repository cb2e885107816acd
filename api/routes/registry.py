"""The register's workflow: versions, conflicts between sources, objections (异议), tags."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from address.errors import BadRequest
from address.register.conflicts import Action, ConflictKind, list_conflicts, resolve_conflict
from address.register.objections import file_objection, list_objections, transition
from address.register.registry import current_version, new_version, retire_address
from address.register.tags import VOCABULARY, validate_tags
from api.auth import Principal, audit
from api.deps import ConnDep, CurrentUser, WriteConn, require_roles
from api.params import Coordsys, PagingDep
from api.schemas.addresses import AddressPublic
from api.schemas.common import Page
from api.schemas.register import ConflictPublic, ObjectionPublic, Resolved, TagVocabulary
from spatial.coords import CoordSys, location_text, to_wgs84

router = APIRouter(tags=["register"])
Steward = Annotated[Principal, Depends(require_roles("steward"))]


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.key_id or 'anonymous'}:{principal.name}"


class AddressUpdate(BaseModel):
    lng: float | None = Field(None, ge=-180, le=180, description="in `coordsys`")
    lat: float | None = Field(None, ge=-90, le=90)
    coordsys: Literal["wgs84", "gcj02", "bd09"] | None = Field(
        None, description="of lng, lat (else the `coordsys` query parameter, else wgs84)")
    status: Literal["active", "pending", "retired"] | None = None
    tags: dict[str, Any] | None = None


def _located(address: dict[str, Any], system: CoordSys) -> dict[str, Any]:
    """The address and its history with their points in the caller's coordinate system."""
    def convert(row: dict[str, Any]) -> dict[str, Any]:
        if row.get("location") and system != "wgs84":
            lng, lat = (float(v) for v in row["location"].split(","))
            row["location"] = location_text(lng, lat, system)
        return row

    return {**convert(address), "history": [convert(r) for r in address.get("history", [])]}


class Resolution(BaseModel):
    action: Action
    note: str = ""
    record_id: int | None = Field(None, description="for accept_source")
    into_code: str | None = Field(None, description="for merge")


class ObjectionCreate(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ObjectionTransition(BaseModel):
    status: Literal["verifying", "resolved", "rejected"]
    note: str = ""


@router.patch("/addresses/{code}", summary="Change an address: a new version (steward)",
              response_model=AddressPublic)
def patch_address(conn: WriteConn, code: str, body: AddressUpdate, coordsys: Coordsys,
                  principal: Steward) -> dict[str, Any]:
    system = body.coordsys or coordsys.coordsys
    changes = body.model_dump(exclude_none=True, exclude={"coordsys"})
    if ("lng" in changes) != ("lat" in changes):
        raise BadRequest("give lng and lat together")
    if "lng" in changes:
        changes["lng"], changes["lat"] = to_wgs84(changes["lng"], changes["lat"], system)
    if "tags" in changes:
        validate_tags(changes["tags"])
    before = current_version(conn, code=code)
    result = new_version(conn, code=code, changes=changes)
    audit(conn, principal, action="update", resource=f"address/{code}",
          detail={**changes, "coordsys": system, "changed": result["version"] != before})
    return _located(result, system)


@router.post("/addresses/{code}/retire", summary="Retire an address (steward)",
             response_model=AddressPublic)
def post_retire(conn: WriteConn, code: str, principal: Steward) -> dict[str, Any]:
    result = retire_address(conn, code=code)
    audit(conn, principal, action="retire", resource=f"address/{code}")
    return result


@router.get("/address-tags", summary="The tag vocabulary (地址标签)",
            response_model=TagVocabulary)
def get_tags() -> dict[str, Any]:
    return {name: list(values) if values else "free text" for name, values in VOCABULARY.items()}


@router.get("/conflicts", summary="Conflicts between sources and the register (steward)",
            response_model=Page[ConflictPublic])
def get_conflicts(
    conn: ConnDep, principal: Steward, paging: PagingDep,
    status_: Annotated[Literal["open", "accepted", "rejected"] | None,
                       Query(alias="status")] = "open",
    kind: ConflictKind | None = None,
) -> dict[str, Any]:
    items = list_conflicts(conn, status=status_, kind=kind, **paging.as_dict())
    return {"items": items, **paging.as_dict()}


@router.post("/conflicts/{conflict_id}/resolve", summary="Resolve a conflict (steward)",
             response_model=Resolved)
def post_resolve(conn: WriteConn, conflict_id: int, body: Resolution,
                 principal: Steward) -> dict[str, Any]:
    result = resolve_conflict(conn, conflict_id=conflict_id, action=body.action,
                              reviewer=_actor(principal), note=body.note,
                              record_id=body.record_id, into_code=body.into_code)
    audit(conn, principal, action=f"resolve:{body.action}", resource=f"conflict/{conflict_id}")
    return result


@router.post("/addresses/{code}/objections", status_code=status.HTTP_201_CREATED,
             summary="Object to an address (anyone)", response_model=ObjectionPublic)
def post_objection(conn: WriteConn, code: str, body: ObjectionCreate,
                   principal: CurrentUser) -> dict[str, Any]:
    objection = file_objection(conn, code=code, reason=body.reason, actor=_actor(principal))
    audit(conn, principal, action="object", resource=f"address/{code}",
          detail={"objection": objection["id"]})
    return objection


@router.get("/objections", summary="Objections (steward)",
            response_model=list[ObjectionPublic])
def get_objections(
    conn: ConnDep, principal: Steward,
    status_: Annotated[Literal["open", "verifying", "resolved", "rejected"] | None,
                       Query(alias="status")] = None,
    code: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return list_objections(conn, status=status_, code=code, limit=limit)


@router.post("/objections/{objection_id}/transition", summary="Move an objection on (steward)",
             response_model=ObjectionPublic)
def post_transition(conn: WriteConn, objection_id: int, body: ObjectionTransition,
                    principal: Steward) -> dict[str, Any]:
    objection = transition(conn, objection_id=objection_id, status=body.status,
                           actor=_actor(principal), note=body.note)
    audit(conn, principal, action=body.status, resource=f"objection/{objection_id}")
    return objection
