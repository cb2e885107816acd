"""Buildings: the fused layer, lineage, the n:m review queue, LoD1 CityJSON, tiles, the 3D page."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from api.auth import Principal, audit
from api.deps import ConnDep, CurrentUser, WriteConn, require_roles
from api.params import BBoxDep, Paging, PagingDep, paging
from api.routes.jobs import ACCEPTED, QueueDep, queue_whole
from api.routes.pages import STATIC_DIR
from api.routes.tiles import vector_tile
from api.schemas.buildings import (
    AddressLinkConflict,
    BuildingPublic,
    BuildingSummary,
    ConflationCounts,
    Lineage,
    ReviewPublic,
)
from api.schemas.common import Items, Page, location_text
from api.schemas.layers import RasterPublic
from api.state import TileCacheDep
from layers.catalog.access import readable_levels
from spatial.buildings.conflate import conflate
from spatial.buildings.links import building_addresses, link_conflicts
from spatial.buildings.query import get_building, list_buildings
from spatial.buildings.review import (
    building_lineage,
    get_review,
    list_reviews,
    resolve_review,
)
from spatial.rasters import list_rasters
from tiles.mvt import TileRequest

router = APIRouter(tags=["buildings"])
Steward = Annotated[Principal, Depends(require_roles("steward"))]


class ConflateRequest(BaseModel):
    sources: list[str] = Field(min_length=1, description="source names, highest priority first")


class ReviewDecision(BaseModel):
    decision: Literal["merged", "separate"]
    note: str | None = None


@router.get("/buildings", summary="Fused buildings, paged (optionally in a bbox)",
            response_model=Page[BuildingSummary])
def buildings(
    conn: ConnDep, box: BBoxDep, paging: PagingDep,
    match_kind: Literal["1:1", "1:n", "n:1", "n:m", "unmatched"] | None = None,
) -> dict[str, Any]:
    total, items = list_buildings(conn, **box.as_dict(), match_kind=match_kind,
                                  **paging.as_dict())
    return {"total": total, **paging.as_dict(), "items": items}


@router.get("/buildings/tiles/{z}/{x}/{y}.pbf", response_class=Response,
            summary="Buildings as Mapbox vector tiles (the same as /tiles/buildings/…)",
            responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}},
                             "description": "Mapbox Vector Tile"}})
def buildings_tile(
    conn: ConnDep, principal: CurrentUser, cache: TileCacheDep, z: int, x: int, y: int,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    return vector_tile(conn, principal, cache, layers="buildings", tile=TileRequest(z, x, y),
                       accept_encoding=accept_encoding, if_none_match=if_none_match)


@router.get("/buildings/review", summary="The n:m review queue (steward)",
            response_model=Page[ReviewPublic])
def review_queue(
    conn: ConnDep, principal: Steward,
    page: Annotated[Paging, Depends(paging(maximum=500))],
    status: Literal["open", "merged", "separate", "superseded"] | None = "open",
) -> dict[str, Any]:
    return {"items": list_reviews(conn, status=status, **page.as_dict()), **page.as_dict()}


@router.get("/buildings/review/{review_id}", summary="One review item (steward)",
            response_model=ReviewPublic)
def review_item(conn: ConnDep, principal: Steward, review_id: int) -> dict[str, Any]:
    return get_review(conn, review_id=review_id)


@router.post("/buildings/review/{review_id}", summary="Resolve a review item (steward)",
             response_model=ReviewPublic)
def review_resolve(conn: WriteConn, principal: Steward, review_id: int,
                   body: ReviewDecision) -> dict[str, Any]:
    item = resolve_review(conn, review_id=review_id, decision=body.decision,
                          reviewer=principal.name, note=body.note)
    audit(conn, principal, action="resolve", resource=f"building-review/{review_id}",
          detail={"decision": body.decision})
    return item


@router.post("/buildings/conflate", summary="Re-run conflation of the sources (steward)",
             response_model=ConflationCounts, responses=ACCEPTED)
def buildings_conflate(conn: WriteConn, principal: Steward, body: ConflateRequest,
                       queue: QueueDep, background: bool = False,
                       ) -> dict[str, Any] | JSONResponse:
    if background:
        return queue_whole(conn, queue, kind="conflation", params={"sources": body.sources},
                           principal=principal)
    counts = conflate(conn, sources=body.sources)
    audit(conn, principal, action="conflate", resource="building", detail=counts)
    return counts


@router.get("/buildings/address-conflicts", summary="Addresses whose building is ambiguous",
            response_model=Items[AddressLinkConflict])
def address_conflicts(conn: ConnDep,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return {"items": link_conflicts(conn, limit=limit)}


@router.get("/buildings/rasters", summary="DSM and DEM rasters used for heights",
            response_model=Items[RasterPublic])
def rasters(conn: ConnDep, principal: CurrentUser,
            kind: Literal["dsm", "dem"] | None = None) -> dict[str, Any]:
    found = list_rasters(conn, kind=kind, levels=readable_levels(principal.role))
    return {"items": [r.as_dict() for r in found if r.kind in ("dsm", "dem")]}


@router.get("/buildings/{building_id}", summary="One building: heights, quality, addresses",
            response_model=BuildingPublic)
def building(conn: ConnDep, building_id: int) -> dict[str, Any]:
    item = get_building(conn, building_id=building_id)
    item["addresses"] = [{**a, "location": location_text(a["lng"], a["lat"])}
                         for a in building_addresses(conn, building_id=building_id)]
    return item


@router.get("/buildings/{building_id}/lineage", summary="The source rows behind a building",
            response_model=Lineage)
def lineage(conn: ConnDep, building_id: int) -> dict[str, Any]:
    get_building(conn, building_id=building_id)
    return {"building_id": building_id, "sources": building_lineage(conn,
                                                                    building_id=building_id)}


@router.get("/3d", include_in_schema=False)
def page_3d() -> FileResponse:
    return FileResponse(STATIC_DIR / "3d.html")
