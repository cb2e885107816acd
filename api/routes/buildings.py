"""Buildings: the fused layer, lineage, the n:m review queue, LoD1 CityJSON, tiles, the 3D page."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from address.errors import BadRequest
from api.auth import Principal, audit
from api.deps import ConnDep, WriteConn, require_roles
from api.routes.pages import STATIC_DIR
from spatial.buildings.conflate import conflate
from spatial.buildings.links import building_addresses, link_conflicts
from spatial.buildings.lod1 import export_lod1
from spatial.buildings.query import building_tile, get_building, list_buildings
from spatial.buildings.review import (
    building_lineage,
    get_review,
    list_reviews,
    resolve_review,
)
from spatial.rasters import list_rasters

router = APIRouter(tags=["buildings"])
Steward = Annotated[Principal, Depends(require_roles("steward"))]


def _bbox(value: str | None) -> list[float] | None:
    if value is None:
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise BadRequest("bbox must be west,south,east,north in degrees") from None
    if not (west < east and south < north):
        raise BadRequest("bbox must be west,south,east,north with west < east, south < north")
    return [west, south, east, north]


BBox = Annotated[str | None, Query(description="west,south,east,north (WGS84)",
                                   examples=["121.08,31.13,121.13,31.17"])]


class ConflateRequest(BaseModel):
    sources: list[str] = Field(min_length=1, description="source names, highest priority first")


class ReviewDecision(BaseModel):
    decision: Literal["merged", "separate"]
    note: str | None = None


@router.get("/buildings", summary="Fused buildings, paged (optionally in a bbox)")
def buildings(
    conn: ConnDep, bbox: BBox = None,
    match_kind: Literal["1:1", "1:n", "n:1", "n:m", "unmatched"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    total, items = list_buildings(conn, bbox=_bbox(bbox), match_kind=match_kind, limit=limit,
                                  offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/buildings/lod1.city.json", summary="LoD1.2 blocks as CityJSON 2.0 (EPSG:4549)")
def buildings_cityjson(
    conn: ConnDep, bbox: BBox = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 20_000,
) -> JSONResponse:
    return JSONResponse(export_lod1(conn, bbox=_bbox(bbox), limit=limit),
                        media_type="application/city+json")


@router.get("/buildings/tiles/{z}/{x}/{y}.pbf", summary="Buildings as Mapbox vector tiles")
def buildings_tile(conn: ConnDep, z: int, x: int, y: int) -> Response:
    if not (0 <= z <= 22 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise BadRequest(f"no tile {z}/{x}/{y}")
    return Response(building_tile(conn, z=z, x=x, y=y),
                     media_type="application/vnd.mapbox-vector-tile")


@router.get("/buildings/review", summary="The n:m review queue (steward)")
def review_queue(
    conn: ConnDep, principal: Steward,
    status: Literal["open", "merged", "separate", "superseded"] | None = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    return {"items": list_reviews(conn, status=status, limit=limit, offset=offset)}


@router.get("/buildings/review/{review_id}", summary="One review item (steward)")
def review_item(conn: ConnDep, principal: Steward, review_id: int) -> dict[str, Any]:
    return get_review(conn, review_id=review_id)


@router.post("/buildings/review/{review_id}", summary="Resolve a review item (steward)")
def review_resolve(conn: WriteConn, principal: Steward, review_id: int,
                   body: ReviewDecision) -> dict[str, Any]:
    item = resolve_review(conn, review_id=review_id, decision=body.decision,
                          reviewer=principal.name, note=body.note)
    audit(conn, principal, action="resolve", resource=f"building-review/{review_id}",
          detail={"decision": body.decision})
    return item


@router.post("/buildings/conflate", summary="Re-run conflation of the sources (steward)")
def buildings_conflate(conn: WriteConn, principal: Steward, body: ConflateRequest
                       ) -> dict[str, Any]:
    counts = conflate(conn, sources=body.sources)
    audit(conn, principal, action="conflate", resource="building", detail=counts)
    return counts


@router.get("/buildings/address-conflicts", summary="Addresses whose building is ambiguous")
def address_conflicts(conn: ConnDep,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    return {"items": link_conflicts(conn, limit=limit)}


@router.get("/buildings/rasters", summary="DSM and DEM rasters used for heights")
def rasters(conn: ConnDep, kind: Literal["dsm", "dem"] | None = None) -> dict[str, Any]:
    return {"items": list_rasters(conn, kind=kind)}


@router.get("/buildings/{building_id}", summary="One building: heights, quality, addresses")
def building(conn: ConnDep, building_id: int) -> dict[str, Any]:
    item = get_building(conn, building_id=building_id)
    item["addresses"] = building_addresses(conn, building_id=building_id)
    return item


@router.get("/buildings/{building_id}/lineage", summary="The source rows behind a building")
def lineage(conn: ConnDep, building_id: int) -> dict[str, Any]:
    get_building(conn, building_id=building_id)
    return {"building_id": building_id, "sources": building_lineage(conn,
                                                                    building_id=building_id)}


@router.get("/3d", include_in_schema=False)
def page_3d() -> FileResponse:
    return FileResponse(STATIC_DIR / "3d.html")
