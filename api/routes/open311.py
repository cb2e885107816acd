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

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from psycopg import Connection
from pydantic import ValidationError

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
    ServiceRequestForm,
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


class PostedForm:
    """A service request's form as posted: its fields in order, checked against
    :class:`ServiceRequestForm` only when asked (after the caller's key, so a refused caller
    learns nothing of what else was wrong)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items
        self.values = {k: v for k, v in items if v != ""}  # an empty field is an absent one

    def fields(self) -> ServiceRequestForm:
        try:
            return ServiceRequestForm.model_validate(self.values)
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None


async def posted_form(request: Request) -> PostedForm:
    """The form read once, in the declared charset (Open311Route), and checked as one model
    rather than field by field as FastAPI's ``Form()`` parameters are."""
    form = await request.form()
    return PostedForm([(k, v) for k, v in form.multi_items() if isinstance(v, str)])


def post_filer(conn: Connection, request: Request, values: dict[str, str]) -> Principal:
    check_jurisdiction(values.get("jurisdiction_id"))
    key = values.get("api_key") or request.headers.get("x-api-key")
    return check_roles(principal_of(conn, request, key), "hotline")


Reader = Annotated[Principal, Depends(get_reader)]
Posted = Annotated[PostedForm, Depends(posted_form)]
_FORM_BODY = {"requestBody": {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": ServiceRequestForm.model_json_schema()}}}}


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
             response_model=list[ServiceRequestCreated], openapi_extra=_FORM_BODY)
@router.post("/requests.{fmt}", status_code=201, include_in_schema=False)
def post_request(
    conn: WriteConn, request: Request, tasks: BackgroundTasks, posted: Posted,
    prefer: Annotated[str | None, Header()] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
    fmt: Format = "json",
) -> Response:
    """Routed before the answer; with ``Prefer: respond-async``, stored now (202) and routed
    moments later (agency_responsible is empty until then)."""
    principal = post_filer(conn, request, posted.values)
    form = posted.fields()
    attributes = check_attributes(form.service_code, _attributes(posted.items))
    body = TicketCreate(service_code=form.service_code, description=form.description,
                        lng=form.long, lat=form.lat, coordsys=form.coordsys,
                        address_string=form.address_string, address_id=form.address_id)
    contact = {"first_name": form.first_name, "last_name": form.last_name,
               "email": form.email, "phone": form.phone}

    def file() -> Answer:
        defer = wants_async(prefer)
        ticket_id = file_from(conn, principal, body, request, tasks, defer=defer,
                              contact=contact,
                              extras={"media_url": form.media_url, "attributes": attributes})
        receipt = {"service_request_id": str(ticket_id),
                   "service_notice": "routing pending" if defer else None,
                   "account_id": form.account_id}
        return Answer(202 if defer else 201, [receipt])

    answer = once(conn, principal, key=idempotency_key, run=file,
                  digest=body_hash("open311/requests", posted.items))
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
