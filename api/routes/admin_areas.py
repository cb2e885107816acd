"""Admin areas: by code, by point (the 区 → 街镇 → 居委/村委 → 网格 chain), lists and GeoJSON."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import ConnDep
from api.params import Coordsys
from api.schemas.admin_areas import AdminAreaList, AdminAreaPublic, AdminChainPublic
from api.schemas.common import FeatureCollection
from spatial.admin import admin_areas_geojson, admin_chain, get_admin_area, list_admin_areas
from spatial.coords import parse_lnglat, to_wgs84

router = APIRouter(prefix="/admin-areas", tags=["admin areas"])
Level = Literal["district", "town", "community", "grid"]


@router.get("", summary="The chain covering a point, or a list by level/parent",
            response_model=AdminChainPublic | AdminAreaList, response_model_exclude_unset=True)
def admin_areas(
    conn: ConnDep, coordsys: Coordsys,
    point: Annotated[
        str | None, Query(description="lng,lat", examples=["121.1098416,31.14427407"])
    ] = None,
    level: Level | None = None,
    parent_code: str | None = None,
) -> dict[str, Any]:
    if point is None:
        areas = list_admin_areas(conn, level=level, parent_code=parent_code)
        return {"count": len(areas), "areas": [a.as_dict() for a in areas]}
    lng, lat = to_wgs84(*parse_lnglat(point), coordsys.coordsys)
    chain = admin_chain(conn, lng=float(lng), lat=float(lat))
    by_level = {a.level: a.as_dict() for a in chain}
    return {"location": f"{lng:.7f},{lat:.7f}", "coordsys": "wgs84",
            "admin_chain": [a.as_dict() for a in chain], **by_level}


@router.get("/geojson/{level}", summary="All areas of one level as GeoJSON (for the map)",
            response_model=FeatureCollection)
def admin_areas_as_geojson(
    conn: ConnDep, level: Level,
    within: Annotated[str, Query(description="code prefix, e.g. a district's adcode")] = "",
    simplify_m: Annotated[float, Query(ge=0, le=500, description="tolerance in metres")] = 0,
) -> JSONResponse:
    return JSONResponse(admin_areas_geojson(conn, level=level, within=within,
                                            simplify_m=simplify_m))


@router.get("/{code}", summary="One admin area by its code", response_model=AdminAreaPublic,
            response_model_exclude_unset=True)  # geometry only when asked for
def admin_area(
    conn: ConnDep,
    code: str,
    geometry: Annotated[bool, Query(description="include GeoJSON")] = False,
) -> dict[str, Any]:
    return get_admin_area(conn, code=code, with_geometry=geometry).as_dict()
