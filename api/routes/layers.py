"""The layer catalog: list (filtered by the caller's access), metadata, versions, upload, edits.

Also what every layer-ish router shares: ``readable_collection`` (access check and audit of
restricted reads); the app's tile cache is ``api.state.TileCacheDep``.
"""

import io
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import JSONResponse
from psycopg import Connection
from pydantic import BaseModel

from address.errors import Forbidden
from api.auth import Principal, audit, authorize_read
from api.deps import ConnDep, CurrentUser, WriteConn
from api.jobs import get_job, job_state, submit
from api.routes.jobs import QueueDep
from api.schemas.common import JobAccepted
from api.schemas.layers import LayerList, LayerPublic, LayerUploaded, LayerVersions, UploadJobState
from api.state import TileCacheDep
from api.uploads import LimitsDep, save_upload, vector_limits
from layers.catalog.access import can_write, readable_levels
from layers.catalog.collections import Collection, get_collection
from layers.catalog.layers import (
    delete_layer,
    get_layer,
    list_layers,
    list_versions,
    update_metadata,
)
from layers.catalog.store import STEPS, add_layer

router = APIRouter(prefix="/layers", tags=["layers"])
AccessLevel = Literal["public", "internal", "restricted"]


def readable_collection(conn: Connection, principal: Principal, cid: str) -> Collection:
    """The collection if the caller may read it (403 otherwise); restricted reads are audited."""
    collection = get_collection(conn, cid=cid)
    authorize_read(conn, principal, collection.access_level, what=f"collection {cid!r}",
                   resource=f"layer/{cid}")
    return collection


def require_writer(principal: CurrentUser) -> Principal:
    if not can_write(principal.role):
        raise Forbidden(f"changing layers needs the role planner, steward or admin; "
                        f"you are {principal.role}")
    return principal


WriterDep = Annotated[Principal, Depends(require_writer)]


class LayerUpdate(BaseModel):
    title: str | None = None
    description: str | None = None
    access_level: AccessLevel | None = None
    owner: str | None = None
    source: str | None = None


@router.get("", summary="Layers the caller may read", response_model=LayerList)
def layers(conn: ConnDep, principal: CurrentUser) -> dict[str, Any]:
    found = list_layers(conn, levels=readable_levels(principal.role))
    return {"count": len(found), "layers": [layer.as_dict() for layer in found]}


@router.get("/{name}", summary="One layer's metadata", response_model=LayerPublic)
def layer(conn: ConnDep, principal: CurrentUser, name: str) -> dict[str, Any]:
    readable_collection(conn, principal, name)
    return get_layer(conn, name=name).as_dict()


@router.get("/{name}/versions", summary="Every version of a layer, newest first",
            response_model=LayerVersions)
def versions(conn: ConnDep, principal: CurrentUser, name: str) -> dict[str, Any]:
    readable_collection(conn, principal, name)
    return {"name": name, "versions": list_versions(conn, name=name)}


@router.get("/jobs/{job_id}", summary="A background upload's progress and, when done, its result",
            response_model=UploadJobState)
def upload_job(conn: ConnDep, principal: CurrentUser, job_id: int) -> dict[str, Any]:
    job = get_job(conn, job_id=job_id, principal=principal, with_result="csv")
    state = job_state(job)
    if job["status"] == "done" and job.get("result"):
        state["result"] = json.loads(bytes(job["result"]))
    return state


@router.post("", status_code=201, response_model=LayerUploaded,
             summary="Upload GeoJSON, GeoPackage, zipped Shapefile or CSV",
             responses={202: {"model": JobAccepted, "description": "with background=true"}})
def upload(
    conn: WriteConn, principal: WriterDep, cache: TileCacheDep, queue: QueueDep,
    limits: LimitsDep,
    file: Annotated[UploadFile, File(description=".geojson, .gpkg, .zip (Shapefile) or .csv")],
    name: Annotated[str, Form(description="table-safe name, e.g. schools")],
    title: Annotated[str | None, Form()] = None,
    description: Annotated[str, Form()] = "",
    access_level: Annotated[AccessLevel, Form()] = "internal",
    mode: Annotated[Literal["create", "replace", "append"], Form()] = "create",
    coordsys: Annotated[str, Form(description="wgs84 | gcj02 | bd09")] = "wgs84",
    crs: Annotated[str | None, Form(description="if the file has none, e.g. EPSG:4549")] = None,
    lng_field: Annotated[str | None, Form()] = None,
    lat_field: Annotated[str | None, Form()] = None,
    source: Annotated[str, Form()] = "",
    encoding: Annotated[str | None, Form(description="of the attributes if not UTF-8: gbk")] = None,
    background: Annotated[bool, Form(description="202 with a job to poll (large files)")] = False,
) -> dict[str, Any] | JSONResponse:
    suffix = Path(file.filename or "upload").suffix.lower()
    if background:
        held = io.BytesIO()  # the job's input is kept in the database, not in a temp file
        save_upload(file, held, max_mb=limits.upload_mb)
        options = {"filename": file.filename, "name": name, "title": title,
                   "description": description, "access_level": access_level,
                   "owner": principal.name, "source": source or (file.filename or ""),
                   "mode": mode, "coordsys": coordsys, "crs": crs, "lng_field": lng_field,
                   "lat_field": lat_field, "encoding": encoding}
        job_id = submit(conn, queue, kind="layer_upload", total=STEPS, principal=principal,
                        params={"name": name, "filename": file.filename, "mode": mode,
                                "options": options}, data=held.getvalue())
        return JSONResponse({"id": job_id, "status": "queued", "total": STEPS,
                             "href": f"/layers/jobs/{job_id}"}, status_code=202)
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        save_upload(file, tmp, max_mb=limits.upload_mb)
        new, report = add_layer(
            conn, path=Path(tmp.name), filename=file.filename, name=name, title=title,
            description=description, access_level=access_level, owner=principal.name,
            source=source or (file.filename or ""), mode=mode, coordsys=coordsys, crs=crs,
            lng_field=lng_field, lat_field=lat_field, encoding=encoding,
            limits=vector_limits(limits))
    cache.invalidate(name)
    audit(conn, principal, action=mode, resource=f"layer/{name}",
          detail={"version": new.version, "features": new.feature_count})
    return {"layer": new.as_dict(), "report": report.as_dict()}


@router.patch("/{name}", summary="Change title, description, access level, owner or source",
              response_model=LayerPublic)
def edit(conn: WriteConn, principal: WriterDep, cache: TileCacheDep, name: str,
         changes: LayerUpdate) -> dict[str, Any]:
    updated = update_metadata(conn, name=name, changes=changes.model_dump(exclude_none=True))
    cache.invalidate(name)
    audit(conn, principal, action="update", resource=f"layer/{name}",
          detail=changes.model_dump(exclude_none=True))
    return updated.as_dict()


@router.delete("/{name}", status_code=204, summary="Delete a layer with every version")
def delete(conn: WriteConn, principal: WriterDep, cache: TileCacheDep, name: str) -> None:
    delete_layer(conn, name=name)
    cache.invalidate(name)
    audit(conn, principal, action="delete", resource=f"layer/{name}")
