"""Raster layers: register a GeoTIFF (stored as a COG), PNG tiles with rescale and a colormap,
values at a point. Access levels as for vector layers."""

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from api.auth import Principal, audit, authorize_read
from api.deps import ConnDep, CurrentUser, WriteConn
from api.routes.layers import WriterDep
from layers.catalog.access import readable_levels
from spatial.coords import parse_lnglat
from tiles.raster import (
    RasterLayer,
    RasterSettings,
    get_raster,
    list_rasters,
    parse_rescale,
    point_values,
    register_raster,
    render_tile,
)

router = APIRouter(prefix="/raster", tags=["raster"])


def _readable(conn: ConnDep, principal: Principal, name: str) -> RasterLayer:
    raster = get_raster(conn, name=name)
    authorize_read(conn, principal, raster.access_level, what=f"raster {name!r}",
                   resource=f"raster/{name}")
    return raster


@router.get("", summary="Rasters the caller may read")
def rasters(conn: ConnDep, principal: CurrentUser) -> dict[str, Any]:
    found = list_rasters(conn, levels=readable_levels(principal.role))
    return {"count": len(found), "rasters": [r.as_dict() for r in found]}


@router.post("", status_code=201, summary="Register a GeoTIFF (converted to a COG if needed)")
def upload_raster(
    conn: WriteConn, principal: WriterDep,
    file: Annotated[UploadFile, File(description="GeoTIFF")],
    name: Annotated[str, Form()],
    title: Annotated[str | None, Form()] = None,
    access_level: Annotated[Literal["public", "internal", "restricted"], Form()] = "internal",
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".tif") as tmp:
        shutil.copyfileobj(file.file, tmp)
        tmp.flush()
        raster = register_raster(conn, path=Path(tmp.name), name=name, title=title,
                                 access_level=access_level, owner=principal.name,
                                 store_dir=RasterSettings().dir)
    audit(conn, principal, action="create", resource=f"raster/{name}")
    return raster.as_dict()


@router.get("/{name}", summary="One raster's metadata")
def raster(conn: ConnDep, principal: CurrentUser, name: str) -> dict[str, Any]:
    return _readable(conn, principal, name).as_dict()


@router.get("/{name}/{z}/{x}/{y}.png", summary="A PNG tile", response_class=Response)
def raster_tile(
    conn: ConnDep, principal: CurrentUser, name: str, z: int, x: int, y: int,
    rescale: Annotated[str | None, Query(description="min,max")] = None,
    colormap: Annotated[str | None, Query(description="a rio-tiler colormap, e.g. viridis")] = None,
) -> Response:
    found = _readable(conn, principal, name)
    png = render_tile(found, z=z, x=x, y=y, rescale=parse_rescale(rescale, found),
                      colormap=colormap)
    if png is None:
        return Response(status_code=204)
    cache = "public, max-age=300" if found.access_level == "public" else "private, no-cache"
    return Response(png, media_type="image/png", headers={"Cache-Control": cache})


@router.get("/{name}/point/{lnglat}", summary="Band values at lng,lat (WGS84)")
def raster_point(conn: ConnDep, principal: CurrentUser, name: str, lnglat: str) -> dict[str, Any]:
    found = _readable(conn, principal, name)
    lng, lat = parse_lnglat(lnglat)
    return {"name": name, "location": f"{lng},{lat}",
            "values": point_values(found, lng=lng, lat=lat)}
