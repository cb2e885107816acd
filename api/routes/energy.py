"""Park energy monitoring (issue 18): meters, readings in (CSV, JSON, emoncms's input API).

Role ``energy`` reads and writes; an ``enterprise`` key reads only its own enterprise's rows
(row-level security in PostgreSQL). Every read is audited like other restricted data.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import PlainTextResponse
from psycopg import Connection
from pydantic import ValidationError

from address.errors import BadRequest, Forbidden
from api.auth import Principal, audit, authenticate
from api.deps import ConnDep, CurrentUser, Endpoint, WriteConn, require_roles
from api.schemas.energy import IngestOut, MeterIn, MeterOut, MeterPage, ReadingsIn
from layers.energy import emoncms
from layers.energy.access import enterprise_of_key, lift_restriction, restrict_to_enterprise
from layers.energy.batch import from_json
from layers.energy.model import MeterSpec, create_meter, get_meter, list_meters
from layers.energy.readings import ingest_batch, ingest_csv, ingest_rows

router = APIRouter(prefix="/energy", tags=["energy"])
EnergyWriter = Annotated[Principal, Depends(require_roles("energy"))]
CSV_TYPES = ("text/csv", "application/csv")


@dataclass(frozen=True)
class Reader:
    conn: Connection
    principal: Principal
    enterprise_id: int | None  # set for an enterprise key: its reads are filtered


def energy_reader(conn: ConnDep, principal: Annotated[
        Principal, Depends(require_roles("energy", "enterprise"))], request: Request
                  ) -> Iterator[Reader]:
    """A read in one transaction: audited, and for an enterprise key run under row-level
    security."""
    with conn.transaction():
        audit(conn, principal, action="read", resource=request.url.path.lstrip("/"))
        enterprise_id = None
        if principal.role == "enterprise":
            enterprise_id = enterprise_of_key(conn, key_id=principal.key_id)
            restrict_to_enterprise(conn, enterprise_id=enterprise_id)
        try:
            yield Reader(conn, principal, enterprise_id)
        finally:
            if enterprise_id is not None:
                lift_restriction(conn)


# scope="function", as WriteConn: the audit row commits when the route returns, before the data
# is sent (the default request scope would commit after the response went out)
EnergyReader = Annotated[Reader, Depends(energy_reader, scope="function")]


@router.post("/meters", status_code=status.HTTP_201_CREATED, response_model=MeterOut,
             summary="Register a meter (its id is the caller's meter number)")
def post_meter(conn: WriteConn, body: MeterIn, principal: EnergyWriter) -> MeterOut:
    meter = create_meter(conn, spec=MeterSpec(**body.model_dump()))
    audit(conn, principal, action="create", resource=f"energy/meters/{body.id}")
    return MeterOut.model_validate(meter)


@router.get("/meters", response_model=MeterPage, summary="Meters")
def get_meters(reader: EnergyReader,
               enterprise_id: Annotated[int | None, Query()] = None,
               park_code: Annotated[str | None, Query()] = None,
               kind: Annotated[str | None, Query()] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> MeterPage:
    total, rows = list_meters(reader.conn, enterprise_id=enterprise_id, park_code=park_code,
                              kind=kind, limit=limit, offset=offset)
    return MeterPage(total=total, limit=limit, offset=offset,
                     items=[MeterOut.model_validate(r) for r in rows])


@router.get("/meters/{meter_id}", response_model=MeterOut, summary="One meter")
def get_one_meter(reader: EnergyReader, meter_id: str) -> MeterOut:
    return MeterOut.model_validate(get_meter(reader.conn, meter_id=meter_id))


async def _body(request: Request) -> bytes:
    return await request.body()


@router.post("/readings", response_model=IngestOut, summary="Readings in (CSV or JSON)",
             openapi_extra={"requestBody": {"content": {
                 "text/csv": {"schema": {"type": "string"},
                              "example": "meter_id,ts,value\nQP-E-0001,"
                                         "2024-05-01T00:15:00+08:00,1234.5\n"},
                 "application/json": {"schema": ReadingsIn.model_json_schema()}}}})
def post_readings(conn: WriteConn, request: Request, body: Annotated[bytes, Depends(_body)],
                  principal: EnergyWriter) -> IngestOut:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in CSV_TYPES:
        report = ingest_csv(conn, data=body, source="csv")
    elif content_type in ("application/json", "") and (batch := from_json(body)) is not None:
        report = ingest_batch(conn, batch=batch)
    elif content_type in ("application/json", ""):
        try:
            readings = ReadingsIn.model_validate_json(body).readings
        except ValidationError as exc:
            raise BadRequest(f"bad readings: {exc.errors()[0]['msg']} at "
                             f"{'.'.join(map(str, exc.errors()[0]['loc']))}") from None
        report = ingest_rows(conn, rows=((r.meter_id, r.ts, r.value) for r in readings))
    else:
        raise BadRequest(f"send text/csv or application/json, not {content_type!r}")
    audit(conn, principal, action="ingest", resource="energy/readings",
          detail={"received": report.received, "inserted": report.inserted,
                  "corrected": report.corrected})
    return IngestOut.of(report)


async def _emoncms_params(request: Request) -> dict[str, str]:
    """emoncms reads its parameters from the query string or a posted form alike."""
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


EmoncmsParams = Annotated[dict[str, str], Depends(_emoncms_params)]


def emoncms_writer(conn: ConnDep, principal: CurrentUser, params: EmoncmsParams) -> Principal:
    """emoncms gateways send their key as ``apikey=``; a header works too."""
    if principal.role == "public" and params.get("apikey"):
        principal = authenticate(conn, params["apikey"])
    if not principal.has_role("energy"):
        raise Forbidden(f"this needs the role energy; you are {principal.role}")
    return principal


EmoncmsWriter = Annotated[Principal, Depends(emoncms_writer)]


def _ingest_emoncms(conn: Connection, principal: Principal, rows: list[emoncms.Row],
                    what: str) -> PlainTextResponse:
    report = ingest_rows(conn, rows=rows, source="emoncms")
    audit(conn, principal, action="ingest", resource=f"energy/input/{what}",
          detail={"received": report.received, "inserted": report.inserted})
    return PlainTextResponse("ok")


def emoncms_route(path: str, summary: str) -> Callable[[Endpoint], Endpoint]:
    """``path`` for GET and for POST, as emoncms takes either, each its own operation (one
    route for both methods gave the two one operationId, which client generators refuse)."""
    name = path.strip("/").replace("/", "_")

    def register(endpoint: Endpoint) -> Endpoint:
        for method in ("get", "post"):
            router.add_api_route(path, endpoint, methods=[method.upper()], summary=summary,
                                 response_class=PlainTextResponse,
                                 operation_id=f"emoncms_{name}_{method}")
        return endpoint

    return register


@emoncms_route("/input/post", "emoncms input/post: node, fulljson | json | csv, time")
def input_post(conn: WriteConn, params: EmoncmsParams, principal: EmoncmsWriter
               ) -> PlainTextResponse:
    rows = emoncms.post_rows(node=params.get("node"), fulljson=params.get("fulljson"),
                             json_text=params.get("json"), csv=params.get("csv"),
                             time=params.get("time"))
    return _ingest_emoncms(conn, principal, rows, "post")


@emoncms_route("/input/bulk", "emoncms input/bulk: data=[[t, node, v1 …]], time | sentat | offset")
def input_bulk(conn: WriteConn, params: EmoncmsParams, principal: EmoncmsWriter
               ) -> PlainTextResponse:
    rows = emoncms.bulk_rows(data=params.get("data"), time=params.get("time"),
                             sentat=params.get("sentat"), offset=params.get("offset"))
    return _ingest_emoncms(conn, principal, rows, "bulk")
