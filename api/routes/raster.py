"""Raster layers: register a GeoTIFF (stored as a COG) in the one raster catalog, PNG tiles with
rescale and a colormap, values at a point. Access levels as for vector layers."""

import io
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Header, Query, UploadFile
from fastapi.responses import JSONResponse, Response

from api.auth import Principal, audit, authorize_read
from api.deps import ConnDep, CurrentUser, WriteConn
from api.params import Coordsys
from api.routes.jobs import ACCEPTED, QueueDep, queue_whole
from api.routes.layers import WriterDep
from api.routes.tiles import cached_response
from api.schemas.layers import PointValues, RasterList, RasterPublic
from api.state import RasterDirDep
from api.uploads import LimitsDep, save_upload
from layers.catalog.access import readable_levels
from spatial.coords import location_text, parse_lnglat, to_wgs84
from spatial.rasters import Raster, get_raster, list_rasters, register_raster
from tiles.cache import make_tile
from tiles.raster import parse_rescale, point_values, render_tile

router = APIRouter(prefix="/raster", tags=["raster"])


def _readable(conn: ConnDep, principal: Principal, name: str) -> Raster:
    raster = get_raster(conn, name=name)
    authorize_read(conn, principal, raster.access_level, what=f"raster {name!r}",
                   resource=f"raster/{name}")
    return raster


@router.get("", summary="Rasters the caller may read", response_model=RasterList)
def rasters(conn: ConnDep, principal: CurrentUser) -> dict[str, Any]:
    found = list_rasters(conn, levels=readable_levels(principal.role))
    return {"count": len(found), "rasters": [r.as_dict() for r in found]}


@router.post("", status_code=201, summary="Register a GeoTIFF (converted to a COG if needed)",
             response_model=RasterPublic, responses=ACCEPTED)
def upload_raster(
    conn: WriteConn, principal: WriterDep, store_dir: RasterDirDep, limits: LimitsDep,
    queue: QueueDep,
    file: Annotated[UploadFile, File(description="GeoTIFF")],
    name: Annotated[str, Form()],
    title: Annotated[str | None, Form()] = None,
    access_level: Annotated[Literal["public", "internal", "restricted"], Form()] = "internal",
    kind: Annotated[Literal["dsm", "dem", "other"], Form(description="dsm/dem: used for building "
                                                                   "heights too")] = "other",
    background: Annotated[bool, Form(description="202 with a job to poll (large files)")] = False,
) -> dict[str, Any] | JSONResponse:
    if background:
        held = io.BytesIO()  # kept in the database as the job's input, not in a temp file
        save_upload(file, held, max_mb=limits.upload_mb)
        options = {"name": name, "title": title, "kind": kind, "access_level": access_level,
                   "source": file.filename or ""}
        return queue_whole(conn, queue, kind="raster_upload", params={"options": options},
                           principal=principal, data=held.getvalue())
    with tempfile.NamedTemporaryFile(suffix=".tif") as tmp:
        save_upload(file, tmp, max_mb=limits.upload_mb)
        raster = register_raster(conn, path=Path(tmp.name), name=name, title=title, kind=kind,
                                 access_level=access_level, owner=principal.name,
                                 source=file.filename or "", store_dir=store_dir, replace=False)
    audit(conn, principal, action="create", resource=f"raster/{name}")
    return raster.as_dict()


@router.get("/{name}", summary="One raster's metadata", response_model=RasterPublic)
def raster(conn: ConnDep, principal: CurrentUser, name: str) -> dict[str, Any]:
    return _readable(conn, principal, name).as_dict()


@router.get("/{name}/{z}/{x}/{y}.png", summary="A PNG tile", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "the tile"},
                       204: {"description": "no data in this tile"}})
def raster_tile(
    conn: ConnDep, principal: CurrentUser, name: str, z: int, x: int, y: int,
    rescale: Annotated[str | None, Query(description="min,max")] = None,
    colormap: Annotated[str | None, Query(description="a rio-tiler colormap, e.g. viridis")] = None,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    found = _readable(conn, principal, name)
    png = render_tile(found, z=z, x=x, y=y, rescale=parse_rescale(rescale, found),
                      colormap=colormap)
    if png is None:
        return Response(status_code=204)
    # PNG is compressed already: gzip only when asked, for the one way tiles are answered
    return cached_response(make_tile(png), media_type="image/png",
                           public=found.access_level == "public", accept_encoding=accept_encoding,
                           if_none_match=if_none_match, max_age=300)


@router.get("/{name}/point/{lnglat}", summary="Band values at lng,lat (in coordsys)",
            response_model=PointValues)
def raster_point(conn: ConnDep, principal: CurrentUser, name: str, lnglat: str,
                 coords: Coordsys) -> dict[str, Any]:
    found = _readable(conn, principal, name)
    lng, lat = parse_lnglat(lnglat)
    wlng, wlat = to_wgs84(lng, lat, coords.coordsys)
    return {"name": name, "location": location_text(float(wlng), float(wlat), coords.coordsys),
            "values": point_values(found, lng=float(wlng), lat=float(wlat))}
