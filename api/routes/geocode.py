"""Geocoding: forward, reverse, suggest and batch (field names as in AMap's web API)."""

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, UploadFile, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from address.errors import BadRequest, Conflict, TooLarge, Unauthorized
from address.geocode.batch import read_csv_texts
from address.geocode.details import STRUCTURED_ORDER, GeocodeRequest, town_filter
from address.geocode.forward import geocode
from address.geocode.results import Candidate
from address.geocode.reverse import ReverseRequest, reverse_geocode
from address.geocode.suggest import suggest
from address.text.encoding import decode_text
from api.deps import ConnDep, CurrentUser, WriteConn
from api.jobs import get_job, job_state, submit
from api.jobs.geocode_batch import result_parts
from api.params import Coordsys
from api.routes.jobs import QueueDep
from api.schemas.common import JobAccepted
from api.schemas.geocode import BatchJobState, GeocodePublic, ReversePublic, SuggestPublic
from api.state import DistrictsDep, get_app_settings
from api.uploads import MB, LimitsDep, batch_quota
from spatial.coords import (
    CoordSys,
    location_text,
    parse_coordsys,
    parse_lnglat,
    to_wgs84,
)

router = APIRouter(tags=["geocoding"])


def candidate_json(c: Candidate, coordsys: CoordSys) -> dict[str, Any]:
    data = c.as_dict()
    lng, lat = data.pop("lng"), data.pop("lat")
    return {**data, "location": location_text(lng, lat, coordsys)}


class GeocodeQuery(BaseModel):
    """``GET /geocode``'s query: free text, or any of the CCKS parts (the structured form,
    joined in order and parsed like free text), with the answer's bounds. One model, which
    FastAPI validates in one pass: 4 % fewer instructions a request than sixteen parameters
    one by one (callgrind over 300 requests of bench/geocode_perf.py's mix)."""

    address: str | None = Field(None, max_length=2000, description="text or complaint")
    city: str | None = Field(None, description="a town (name or code): only answers there")
    limit: int = Field(5, ge=1, le=20)
    prov: str | None = None
    city_name: str | None = Field(None, description="the structured form's city part")
    district: str | None = None
    town: str | None = None
    community: str | None = None
    village_group: str | None = None
    road: str | None = None
    roadno: str | None = None
    poi: str | None = None
    houseno: str | None = None
    cellno: str | None = None
    floorno: str | None = None
    roomno: str | None = None

    def structured(self) -> dict[str, str]:
        values = {**self.__dict__, "city": self.city_name}
        return {k: v for k in STRUCTURED_ORDER if (v := values.get(k))}


@router.get("/geocode", summary="Address or free text → standard address, point, level",
            response_model=GeocodePublic)
def get_geocode(
    conn: ConnDep, coordsys: Coordsys, districts: DistrictsDep,
    query: Annotated[GeocodeQuery, Query()],
) -> JSONResponse:
    system = coordsys.coordsys
    structured, address = query.structured(), query.address
    if not address and not structured:
        raise BadRequest("give `address` (free text) or structured parts such as road, roadno")
    req = GeocodeRequest(text=address or "", parts=structured,
                         districts=districts,
                         town_code=town_filter(query.city, districts), limit=query.limit)
    result = geocode(conn, req)
    body = result.as_dict()
    body["best"] = candidate_json(result.best, system) if result.best else None
    body["candidates"] = [candidate_json(c, system) for c in result.candidates]
    body["status"] = "1" if result.best else "0"
    body["coordsys"] = system
    return JSONResponse(body)  # GeocodePublic's shape (tested), built by hand on the hot path


@router.get("/reverse", summary="Point → nearest standard addresses, admin chain, road",
            response_model=ReversePublic)
def get_reverse(
    conn: ConnDep, coordsys: Coordsys,
    location: Annotated[str, Query(description="lng,lat", examples=["121.2249,31.17"])],
    radius: Annotated[float, Query(gt=0, le=5000, description="metres")] = 100,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    system = coordsys.coordsys
    lng, lat = to_wgs84(*parse_lnglat(location), system)
    result = reverse_geocode(conn, ReverseRequest(float(lng), float(lat), radius, limit))
    for a in result["addresses"]:
        a["location"] = location_text(a.pop("lng"), a.pop("lat"), system)
    return {**result, "coordsys": system}


@router.get("/suggest", summary="As-you-type suggestions (Chinese, pinyin, initials, typos)",
            response_model=SuggestPublic)
def get_suggest(
    conn: ConnDep, coordsys: Coordsys, districts: DistrictsDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    location: Annotated[str | None, Query(description="lng,lat: nearest first")] = None,
) -> dict[str, Any]:
    system = coordsys.coordsys
    near = None if location is None else to_wgs84(*parse_lnglat(location), system)
    items = []
    for s in suggest(conn, q=q, districts=districts, limit=limit,
                     location=None if near is None else (float(near[0]), float(near[1]))):
        data = s.as_dict()
        lng, lat = data.pop("lng"), data.pop("lat")
        data["location"] = None if lng is None else location_text(lng, lat, system)
        items.append(data)
    return {"q": q, "suggestions": items}


@router.post("/geocode/batch", status_code=status.HTTP_202_ACCEPTED,
             summary="Upload a CSV with a `text` column; returns a job to poll",
             response_model=JobAccepted)
async def post_batch(
    request: Request, conn: WriteConn, principal: CurrentUser, file: UploadFile,
    limits: LimitsDep, queue: QueueDep, coordsys: str = "wgs84",
) -> dict[str, Any]:
    if principal.key_id is None:
        raise Unauthorized("batch geocoding needs an API key")
    system = parse_coordsys(coordsys)
    quota = batch_quota(limits, principal)
    data = await file.read(quota.max_mb * MB + 1)
    if len(data) > quota.max_mb * MB:
        raise TooLarge(f"the file is larger than {quota.max_mb} MB, the most a "
                       f"{principal.role} key may send")
    decoded = decode_text(data, what=file.filename or "the file")
    columns, rows = read_csv_texts(decoded.text)
    quota.check_rows(len(rows))
    params = {"filename": file.filename, "coordsys": system, "encoding": decoded.encoding,
              "columns": columns, "districts": list(get_app_settings(request).district_codes)}
    job_id = submit(conn, queue, kind="geocode_batch", total=len(rows), params=params,
                    principal=principal, data=decoded.text.encode())
    return {"id": job_id, "status": "queued", "total": len(rows),
            "href": f"/geocode/batch/{job_id}"}


@router.get("/geocode/batch/{job_id}", summary="A batch job's progress (as /jobs/{job_id})",
            response_model=BatchJobState)
def get_batch(conn: ConnDep, job_id: int, principal: CurrentUser) -> dict[str, Any]:
    return job_state(get_job(conn, job_id=job_id, principal=principal))


@router.get("/geocode/batch/{job_id}/result", summary="The finished batch as CSV or GeoJSON",
            response_class=Response, responses={200: {"content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/geo+json": {
                    "schema": {"$ref": "#/components/schemas/FeatureCollection"}}},
                "description": "the geocoded rows, in input order"}})
def get_batch_result(
    request: Request, conn: ConnDep, job_id: int, principal: CurrentUser,
    format: Literal["csv", "geojson"] = "csv",
) -> Response:
    job = get_job(conn, job_id=job_id, principal=principal)
    if job["status"] != "done":
        raise Conflict(f"job {job_id} is {job['status']}; poll /jobs/{job_id}")
    media = "text/csv; charset=utf-8" if format == "csv" else "application/geo+json"
    pool = request.app.state.pool

    def parts() -> Iterator[bytes]:
        with pool.connection() as own:  # the request's goes back to the pool when it returns
            yield from result_parts(own, job_id=job_id, params=job["params"], fmt=format)

    return StreamingResponse(parts(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="geocoded-{job_id}.{format}"'})
