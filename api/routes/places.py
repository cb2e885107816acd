"""Managed roads and places (steward writes) and the pending addresses they hold back.

``/roads`` and ``/places`` are one family of endpoints (roads are places of kind road), made by
:func:`_place_routes`; every write is one transaction with its audit row.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status

from address.errors import BadRequest
from address.register.pending import approve_pending, list_pending, reject_pending
from address.register.places import (
    create_place,
    get_place,
    list_places,
    merge_place,
    rename_place,
    retire_place,
)
from address.text.standard import PLACE_KINDS
from api.auth import Principal, audit
from api.deps import ConnDep, WriteConn, require_roles
from api.params import PagingDep
from api.schemas.common import Page
from api.schemas.places import (
    PendingDecision,
    PendingPublic,
    PlaceCreate,
    PlaceDetail,
    PlaceMerge,
    PlacePublic,
    PlaceRename,
)
from api.state import DistrictsDep

router = APIRouter(tags=["register"])
Steward = Annotated[Principal, Depends(require_roles("steward"))]
PlaceStatus = Literal["active", "merged", "retired"]
PLACE_ONLY = tuple(k for k in PLACE_KINDS if k != "road")


def _actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.key_id or 'anonymous'}:{principal.name}"


@router.get("/addresses/pending", summary="Imported addresses waiting for a steward",
            response_model=Page[PendingPublic])
def get_pending(conn: ConnDep, principal: Steward, paging: PagingDep,
                status_: Annotated[Literal["open", "approved", "rejected"] | None,
                                   Query(alias="status")] = "open",
                place: str | None = None) -> dict[str, Any]:
    total, items = list_pending(conn, status=status_, place=place, **paging.as_dict())
    return {"total": total, "items": items, **paging.as_dict()}


@router.post("/addresses/pending/approve", summary="Approve pending addresses: they become"
             " active, with their new road or place (steward)", response_model=list[PendingPublic])
def post_approve(conn: WriteConn, body: PendingDecision, principal: Steward) -> list[Any]:
    rows = approve_pending(conn, ids=body.ids, reviewer=_actor(principal), note=body.note)
    audit(conn, principal, action="approve", resource="addresses/pending",
          detail={"ids": body.ids})
    return rows


@router.post("/addresses/pending/reject", summary="Reject pending addresses (steward)",
             response_model=list[PendingPublic])
def post_reject(conn: WriteConn, body: PendingDecision, principal: Steward) -> list[Any]:
    rows = reject_pending(conn, ids=body.ids, reviewer=_actor(principal), note=body.note)
    audit(conn, principal, action="reject", resource="addresses/pending",
          detail={"ids": body.ids})
    return rows


def _place_routes(prefix: str, kinds: tuple[str, ...], what: str) -> None:
    """List, show, create, rename, merge and retire for one family (roads or other places)."""
    def checked(conn: Any, code: str) -> dict[str, Any]:
        place = get_place(conn, code=code)
        if place["kind"] not in kinds:
            raise BadRequest(f"{code} is a {place['kind']}, not one of {prefix}")
        return place

    @router.get(prefix, summary=f"{what} (name prefix or alias with q)",
                response_model=Page[PlacePublic], name=f"list{prefix}")
    def list_(conn: ConnDep, paging: PagingDep, status_: Annotated[
                  PlaceStatus | None, Query(alias="status")] = "active",
              q: Annotated[str | None, Query(max_length=100)] = None) -> dict[str, Any]:
        total, items = list_places(conn, kinds=kinds, status=status_, q=q, **paging.as_dict())
        return {"total": total, "items": items, **paging.as_dict()}

    @router.get(prefix + "/{code}", summary=f"One of the {what.lower()}, with its history",
                response_model=PlaceDetail, name=f"get{prefix}")
    def show(conn: ConnDep, code: str) -> dict[str, Any]:
        return checked(conn, code)

    @router.post(prefix, status_code=status.HTTP_201_CREATED, response_model=PlaceDetail,
                 summary=f"Create one of the {what.lower()} (steward)", name=f"create{prefix}")
    def create(conn: WriteConn, body: PlaceCreate, principal: Steward,
               districts: DistrictsDep) -> dict[str, Any]:
        kind = "road" if kinds == ("road",) else body.kind
        if kind not in kinds:
            raise BadRequest(f"kind is one of {', '.join(kinds)}")
        district = body.district_code or districts[0]
        if district not in districts:
            raise BadRequest(f"{district} is not a district of the register")
        place = create_place(conn, district=district, kind=kind, name=body.name,
                             town_code=body.town_code, key_id=principal.key_id)
        audit(conn, principal, action="create", resource=f"place/{place['code']}")
        return place

    @router.post(prefix + "/{code}/rename", response_model=PlaceDetail, name=f"rename{prefix}",
                 summary="Rename: the old name stays as an alias (steward)")
    def rename(conn: WriteConn, code: str, body: PlaceRename,
               principal: Steward) -> dict[str, Any]:
        checked(conn, code)
        place = rename_place(conn, code=code, name=body.name, key_id=principal.key_id)
        audit(conn, principal, action="rename", resource=f"place/{code}",
              detail={"name": body.name})
        return place

    @router.post(prefix + "/{code}/merge", response_model=PlaceDetail, name=f"merge{prefix}",
                 summary="Merge into another: addresses moved, the name kept as alias (steward)")
    def merge(conn: WriteConn, code: str, body: PlaceMerge,
              principal: Steward) -> dict[str, Any]:
        checked(conn, code)
        place = merge_place(conn, code=code, into=body.into, key_id=principal.key_id)
        audit(conn, principal, action="merge", resource=f"place/{code}",
              detail={"into": body.into})
        return place

    @router.post(prefix + "/{code}/retire", response_model=PlaceDetail, name=f"retire{prefix}",
                 summary="Retire, with its addresses (steward)")
    def retire(conn: WriteConn, code: str, principal: Steward) -> dict[str, Any]:
        checked(conn, code)
        place = retire_place(conn, code=code, key_id=principal.key_id)
        audit(conn, principal, action="retire", resource=f"place/{code}")
        return place


_place_routes("/roads", ("road",), "Roads")
_place_routes("/places", PLACE_ONLY, "Places: compounds, POIs, villages, communities, zones")
