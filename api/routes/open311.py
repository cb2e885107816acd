"""Open311 GeoReport v2: services and their definitions, service requests filed and read as
tickets, in JSON and XML (``.json``/``.xml``; no suffix is JSON).

POST takes the spec's form fields (``api_key``, ``jurisdiction_id``, ``service_code``, ``lat``,
``long``, ``address_string``, ``address_id``, ``email``, ``first_name``, ``last_name``, ``phone``,
``description``, ``media_url``, ``attribute[code]``) plus ``coordsys`` (wgs84|gcj02|bd09, for
lat/long in and out), in the charset its Content-Type names (UTF-8 by default), and honours
``Idempotency-Key``. Reading requests follows the hotline's roles (see ``hotline_access``):
planner and steward get the masked text and contact, hotline and admin the original, audited;
anyone else only the services.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Header, Query, Request, Response

from address.errors import BadRequest
from api.auth import Principal
from api.deps import ConnDep, WriteConn, check_roles, principal_of
from api.idempotency import Answer, body_hash, once
from api.open311_format import Format, Open311Route, render
from api.params import Coordsys, Town, offset_of
from api.routes.hotline import TicketCreate, file_from, wants_async
from api.routes.hotline_access import READER_ROLES
from api.routes.open311_requests import request_json, requests_for
from api.schemas.open311 import (
    Service,
    ServiceDefinition,
    ServiceRequest,
    ServiceRequestCreated,
)
from api.settings import get_settings
from layers.hotline.definitions import check_attributes, open311_services, service_definition
from layers.hotline.tickets import TicketFilter, list_tickets

router = APIRouter(prefix="/open311/v2", tags=["open311"], route_class=Open311Route)


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    ours = get_settings().district_codes
    if jurisdiction_id and jurisdiction_id not in ours:
        raise BadRequest(f"jurisdiction_id {jurisdiction_id!r} is not served here; this "
                         f"endpoint serves {', '.join(ours)}")


def get_reader(conn: ConnDep, request: Request,
               api_key: Annotated[str | None, Query(description="the spec's key field")] = None,
               jurisdiction_id: str | None = None) -> Principal:
    check_jurisdiction(jurisdiction_id)
    return principal_of(conn, request, api_key or request.headers.get("x-api-key"))


def post_filer(conn: ConnDep, request: Request,
               api_key: Annotated[str | None, Form(description="the spec's key field")] = None,
               jurisdiction_id: Annotated[str | None, Form()] = None) -> Principal:
    check_jurisdiction(jurisdiction_id)
    principal = principal_of(conn, request, api_key or request.headers.get("x-api-key"))
    return check_roles(principal, "hotline")


async def form_items(request: Request) -> list[tuple[str, str]]:
    form = await request.form()  # decoded once, in the declared charset (Open311Route)
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str)]


Reader = Annotated[Principal, Depends(get_reader)]
Filer = Annotated[Principal, Depends(post_filer)]
FormItems = Annotated[list[tuple[str, str]], Depends(form_items)]


@router.get("/services", summary="Service types (complaint categories)",
            response_model=list[Service])
@router.get("/services.{fmt}", include_in_schema=False)
def get_services(principal: Reader, fmt: Format = "json") -> Response:
    return render(open311_services(), fmt, root="services")


@router.get("/services/{service_code}", summary="A service's definition: its attributes",
            response_model=ServiceDefinition)
@router.get("/services/{service_code}.{fmt}", include_in_schema=False)
def get_definition(principal: Reader, service_code: str, fmt: Format = "json") -> Response:
    return render(service_definition(service_code), fmt, root="service_definition")


def _attributes(items: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in items:
        if key.startswith("attribute[") and key.endswith("]"):
            found.setdefault(key[10:-1].removesuffix("]["), []).append(value)
    return found


@router.post("/requests", status_code=201, summary="File a service request (hotline, admin)",
             response_model=list[ServiceRequestCreated])
@router.post("/requests.{fmt}", status_code=201, include_in_schema=False)
def post_request(
    conn: WriteConn, principal: Filer, request: Request, tasks: BackgroundTasks,
    items: FormItems,
    service_code: Annotated[str, Form()], description: Annotated[str, Form(max_length=4000)],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    address_id: Annotated[str | None, Form(max_length=40)] = None,
    media_url: Annotated[str | None, Form(max_length=2000)] = None,
    first_name: Annotated[str | None, Form(max_length=100)] = None,
    last_name: Annotated[str | None, Form(max_length=100)] = None,
    email: Annotated[str | None, Form(max_length=254)] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
    account_id: Annotated[str | None, Form(max_length=100)] = None,
    coordsys: Annotated[str, Form()] = "wgs84",
    prefer: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
    fmt: Format = "json",
) -> Response:
    """Routed before the answer; with ``Prefer: respond-async``, stored now (202) and routed
    moments later (agency_responsible is empty until then)."""
    attributes = check_attributes(service_code, _attributes(items))
    body = TicketCreate(service_code=service_code, description=description, lng=long, lat=lat,
                        coordsys=coordsys, address_string=address_string, address_id=address_id)
    contact = {"first_name": first_name, "last_name": last_name, "email": email, "phone": phone}

    def file() -> Answer:
        defer = wants_async(prefer)
        ticket_id = file_from(conn, principal, body, request, tasks, defer=defer,
                              contact=contact,
                              extras={"media_url": media_url, "attributes": attributes})
        receipt = {"service_request_id": str(ticket_id),
                   "service_notice": "routing pending" if defer else None,
                   "account_id": account_id}
        return Answer(202 if defer else 201, [receipt])

    answer = once(conn, principal, key=idempotency_key, run=file,
                  digest=body_hash("open311/requests", items))
    return render(answer.body, fmt, root="service_requests", status_code=answer.status)


def _ids(service_request_id: str) -> list[int]:
    try:
        return [int(i) for i in service_request_id.split(",") if i.strip()]
    except ValueError as exc:
        raise BadRequest("service_request_id is a comma-separated list of ids") from exc


def _codes(service_code: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (service_code or "").split(",") if c.strip())


@router.get("/requests", summary="Service requests, newest first (planner, steward: masked; "
            "hotline, admin: original, audited)", response_model=list[ServiceRequest])
@router.get("/requests.{fmt}", include_in_schema=False)
def get_requests(
    conn: ConnDep, principal: Reader, coordsys: Coordsys, town: Town,
    service_request_id: Annotated[str | None, Query(description="comma-separated ids")] = None,
    service_code: Annotated[str | None, Query(description="comma-separated codes")] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 1000,
    page: Annotated[int, Query(ge=1)] = 1,
    fmt: Format = "json",
) -> Response:
    check_roles(principal, *READER_ROLES)
    if service_request_id:
        found = requests_for(conn, principal, _ids(service_request_id), coordsys.coordsys)
        return render(found, fmt, root="service_requests")
    where = TicketFilter(town.towncode, None, status, start_date, end_date, page_size,
                         offset_of(page, page_size), service_codes=_codes(service_code))
    _, items = list_tickets(conn, where=where)
    return render(request_json(conn, principal, items, coordsys.coordsys), fmt,
                  root="service_requests")


@router.get("/requests/{request_id}", summary="One service request",
            response_model=list[ServiceRequest])
@router.get("/requests/{request_id}.{fmt}", include_in_schema=False)  # registered first
def get_request(conn: ConnDep, principal: Reader, request_id: int, coordsys: Coordsys,
                fmt: Format = "json") -> Response:
    check_roles(principal, *READER_ROLES)
    return render(requests_for(conn, principal, [request_id], coordsys.coordsys), fmt,
                  root="service_requests")
