"""Open311 GeoReport v2 (JSON): services, and service requests filed and read as tickets.

POST takes the spec's form fields (service_code, description, lat, long, address_string,
address_id) plus ``coordsys`` (wgs84|gcj02|bd09, for lat/long in and out). Requests are answered
with the spec's fields; ``description`` is always the masked text (the original is at
``/hotline/tickets/{id}/original`` for the hotline and admin roles, audited). The ``.json`` format
suffix of the spec is accepted.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Form, Header, Query, Request, Response, status

from address.errors import BadRequest
from api.deps import ConnDep, WriteConn
from api.params import Coordsys, Town, offset_of
from api.routes.hotline import HotlineUser, TicketCreate, convert_points, file_from, wants_async
from api.schemas.open311 import Service, ServiceRequest, ServiceRequestCreated
from layers.hotline.rules import services
from layers.hotline.tickets import TicketFilter, get_ticket, list_tickets
from spatial.coords import CoordSys

router = APIRouter(prefix="/open311/v2", tags=["open311"])


def _request_json(ticket: dict[str, Any], system: CoordSys) -> dict[str, Any]:
    t = convert_points(ticket, system)
    town, towncode = t["admin_chain"]["town"]["name"], t["admin_chain"]["town"]["code"]
    return {
        "service_request_id": str(t["id"]), "status": t["status"],
        "status_notes": t["rule"] or "routing pending", "service_name": t["service_name"],
        "service_code": t["service_code"], "description": t["description"],
        "agency_responsible": t["responsible_unit"],
        "service_notice": "；".join(n for n in (town, t["level"]) if n) or None,
        "requested_datetime": t["requested_at"].isoformat(),
        "updated_datetime": t["updated_at"].isoformat(), "expected_datetime": None,
        "address": t["formatted_address"] or t["address_string"],
        "address_id": t["address_code"] or t["address_id"], "zipcode": None,
        "lat": t["lat"], "long": t["lng"], "media_url": None,
        # extensions: the routing, for callers that want it
        "level": t["level"], "confidence": t["confidence"], "gps_disagrees": t["gps_disagrees"],
        "towncode": towncode, "town_code": towncode,
        "community_code": t["admin_chain"]["community"]["code"],
        "grid_code": t["admin_chain"]["grid"]["code"], "coordsys": system,
    }


@router.get("/services.json", include_in_schema=False)
@router.get("/services", summary="Service types (complaint categories)",
            response_model=list[Service])
def get_services() -> list[dict[str, Any]]:
    return services()


@router.post("/requests.json", status_code=status.HTTP_201_CREATED, include_in_schema=False,
             response_model=list[ServiceRequestCreated])
@router.post("/requests", status_code=status.HTTP_201_CREATED,
             summary="File a service request (hotline, admin)",
             response_model=list[ServiceRequestCreated])
def post_request(
    conn: WriteConn, principal: HotlineUser, request: Request, response: Response,
    tasks: BackgroundTasks,
    service_code: Annotated[str, Form()], description: Annotated[str, Form(max_length=4000)],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=500)] = None,
    address_id: Annotated[str | None, Form(max_length=40)] = None,
    coordsys: Annotated[str, Form()] = "wgs84",
    prefer: Annotated[str | None, Header()] = None,
) -> list[dict[str, Any]]:
    """Routed before the answer; with ``Prefer: respond-async``, stored now (202) and routed
    moments later (agency_responsible is empty until then)."""
    body = TicketCreate(service_code=service_code, description=description, lng=long, lat=lat,
                        coordsys=coordsys, address_string=address_string, address_id=address_id)
    defer = wants_async(prefer)
    ticket_id = file_from(conn, principal, body, request, tasks, defer=defer)
    if defer:
        response.status_code = status.HTTP_202_ACCEPTED
    notice = "routing pending" if defer else None
    return [{"service_request_id": str(ticket_id), "service_notice": notice, "account_id": None}]


@router.get("/requests.json", include_in_schema=False, response_model=list[ServiceRequest])
@router.get("/requests", summary="Service requests (newest first; masked text)",
            response_model=list[ServiceRequest])
def get_requests(
    conn: ConnDep, coordsys: Coordsys, town: Town,
    service_request_id: Annotated[str | None, Query(description="comma-separated ids")] = None,
    service_code: str | None = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 1000,
    page: Annotated[int, Query(ge=1)] = 1,
) -> list[dict[str, Any]]:
    system = coordsys.coordsys
    if service_request_id:
        try:
            ids = [int(i) for i in service_request_id.split(",") if i.strip()]
        except ValueError as exc:
            raise BadRequest("service_request_id is a comma-separated list of ids") from exc
        return [_request_json(get_ticket(conn, ticket_id=i), system) for i in ids]
    where = TicketFilter(town.towncode, service_code, status, start_date, end_date, page_size,
                         offset_of(page, page_size))
    _, items = list_tickets(conn, where=where)
    return [_request_json(t, system) for t in items]


@router.get("/requests/{request_id}", summary="One service request",
            response_model=list[ServiceRequest])
@router.get("/requests/{request_id}.json", include_in_schema=False,  # registered first
            response_model=list[ServiceRequest])
def get_request(conn: ConnDep, request_id: int, coordsys: Coordsys) -> list[dict[str, Any]]:
    return [_request_json(get_ticket(conn, ticket_id=request_id), coordsys.coordsys)]
