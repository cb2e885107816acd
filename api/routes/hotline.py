"""The 12345 hotline, native endpoints: tickets with Chinese-friendly fields, the original text
(hotline/admin, audited), the responsibility table, hot spots and the heat-map layer."""

import json
import logging
import threading
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from psycopg import Connection
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from address.errors import BadRequest
from api.auth import Principal, audit
from api.deps import ConnDep, WriteConn, require_roles
from api.idempotency import Answer, body_hash, once
from api.params import Coordsys, PagingDep, Town
from api.routes.hotline_access import TicketReader, reveal
from api.routes.jobs import ACCEPTED, QueueDep, queue_whole
from api.schemas.common import FeatureCollection, Page
from api.schemas.hotline import (
    RepeatsPublic,
    RerouteCounts,
    RulePublic,
    TicketOriginal,
    TicketPublic,
)
from api.settings import get_settings
from layers.hotline.hotspots import Window, cells, clusters, repeats, ticket_points
from layers.hotline.rules import load_rules, replace_rules
from layers.hotline.tickets import (
    TicketFilter,
    TicketRequest,
    file_ticket,
    get_ticket,
    list_tickets,
    original_text,
    reroute,
    route_pending,
)
from layers.hotline.workflow import check_stage, set_stage, status_of
from spatial.coords import CoordSys, from_wgs84, parse_coordsys, to_wgs84

router = APIRouter(prefix="/hotline", tags=["hotline"])
log = logging.getLogger("dizhi.hotline")
HotlineUser = Annotated[Principal, Depends(require_roles("hotline"))]
AdminUser = Annotated[Principal, Depends(require_roles("admin"))]


class TicketCreate(BaseModel):
    service_code: str = Field(examples=["sanitation"])
    description: str = Field(max_length=4000, examples=["来电反映华新镇华志路559号门口垃圾"])
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    coordsys: str = "wgs84"
    address_string: str | None = Field(None, max_length=500)
    address_id: str | None = Field(None, max_length=40)
    requested_at: datetime | None = None


class TicketUpdate(BaseModel):
    """Either Open311's status (closed → 办结, open again → 处置) or a stage of the workflow."""

    status: str | None = Field(None, pattern="^(open|closed)$")
    stage: str | None = Field(None, examples=["处置"])
    note: str = Field("", max_length=2000)

    def target_stage(self) -> str:
        if self.stage:
            return check_stage(self.stage)
        if self.status:
            return "办结" if self.status == "closed" else "处置"
        raise BadRequest("give `status` (open|closed) or `stage`")


class RuleIn(BaseModel):
    service_code: str | None = None
    area_code: str = Field("", max_length=20)
    priority: int = 0
    unit: str = Field(min_length=1)
    note: str = ""


def ticket_request(body: TicketCreate, contact: dict[str, str | None] | None = None,
                   extras: dict[str, Any] | None = None) -> TicketRequest:
    """The domain request, with the caller's point in WGS84 (``contact``: Open311's requester
    fields, sealed with the text; ``extras``: its ``media_url`` and ``attributes``)."""
    lng, lat = body.lng, body.lat
    if lng is not None and lat is not None:
        x, y = to_wgs84(lng, lat, parse_coordsys(body.coordsys))
        lng, lat = float(x), float(y)
    return TicketRequest(service_code=body.service_code, description=body.description, lng=lng,
                         lat=lat, address_string=body.address_string, address_id=body.address_id,
                         requested_at=body.requested_at,
                         contact={k: str(v) for k, v in (contact or {}).items() if v} or None,
                         **(extras or {}))


def wants_async(prefer: str | None) -> bool:
    """RFC 7240 ``Prefer: respond-async``: store now, route on a background thread."""
    return bool(prefer) and "respond-async" in (prefer or "").lower()


def file_from(conn: Connection, principal: Principal, body: TicketCreate,
              request: Request | None = None, tasks: BackgroundTasks | None = None,
              defer: bool = False, contact: dict[str, str | None] | None = None,
              extras: dict[str, Any] | None = None) -> int:
    """File the ticket; a deferred one is routed by the router thread, woken once the ticket is
    committed (``tasks`` run after the answer, so after the request's transaction)."""
    ticket_id = file_ticket(conn, req=ticket_request(body, contact, extras),
                            key_id=principal.key_id, districts=get_settings().district_codes,
                            defer=defer)
    audit(conn, principal, action="create", resource=f"ticket/{ticket_id}",
          detail={"service_code": body.service_code, "deferred": defer})
    if defer and request is not None and tasks is not None:
        tasks.add_task(_router.poke, request.app.state.pool)
    return ticket_id


class _PendingRouter:
    """One thread per process routing deferred tickets; woken by each deferred POST and every
    few seconds (tickets another process left behind)."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def poke(self, pool: ConnectionPool) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, args=(pool,), daemon=True,
                                               name="hotline-router")
                self.thread.start()
        self.wake.set()

    def _run(self, pool: ConnectionPool) -> None:
        districts = get_settings().district_codes
        while not pool.closed:
            self.wake.wait(timeout=5)
            self.wake.clear()
            try:
                with pool.connection() as conn:
                    while _route_chunk(conn, districts):
                        pass
            except Exception:  # the pool closing under us, a bad row: log, keep the loop
                if not pool.closed:
                    log.exception("routing deferred tickets failed")


def _route_chunk(conn: Connection, districts: tuple[str, ...]) -> int:
    with conn.transaction():  # each chunk of 20 commits on its own: the claims are released
        return route_pending(conn, limit=20, districts=districts)


_router = _PendingRouter()


def _convert(item: dict[str, Any], system: CoordSys, prefix: str = "") -> None:
    """``{prefix}lng``/``{prefix}lat`` in WGS84 → the caller's system, and as ``{prefix}location``
    "lng,lat" (the lng/lat pair stays one release, deprecated)."""
    lng, lat = item.get(f"{prefix}lng"), item.get(f"{prefix}lat")
    item[f"{prefix}location"] = None
    if lng is not None and lat is not None:
        x, y = from_wgs84(lng, lat, system)
        item[f"{prefix}lng"], item[f"{prefix}lat"] = round(float(x), 7), round(float(y), 7)
        item[f"{prefix}location"] = f"{float(x):.7f},{float(y):.7f}"


def convert_points(ticket: dict[str, Any], system: CoordSys) -> dict[str, Any]:
    """WGS84 points of a ticket (and its candidates) in the caller's system."""
    _convert(ticket, system)
    if "gps_lng" in ticket:
        _convert(ticket, system, "gps_")
    for c in ticket.get("candidates") or []:
        _convert(c, system)
    ticket["coordsys"] = system
    return ticket


@router.post("/tickets", status_code=status.HTTP_201_CREATED,
             summary="File a ticket: masked, geocoded, routed (hotline, admin)",
             response_model=TicketPublic)
def post_ticket(conn: WriteConn, principal: HotlineUser, body: TicketCreate,
                request: Request, tasks: BackgroundTasks,
                prefer: Annotated[str | None, Header()] = None,
                idempotency_key: Annotated[str | None, Header()] = None) -> Any:
    """With ``Prefer: respond-async`` the ticket is stored (masked) and routed moments later.
    ``Idempotency-Key``: the same key and body answer the first ticket again."""

    def file() -> Answer:
        ticket_id = file_from(conn, principal, body, request, tasks, defer=wants_async(prefer))
        ticket = get_ticket(conn, ticket_id=ticket_id)
        return Answer(201, jsonable_encoder(convert_points(ticket, parse_coordsys(body.coordsys))))

    fields = sorted((k, json.dumps(v, ensure_ascii=False))
                    for k, v in body.model_dump(mode="json").items())
    return once(conn, principal, key=idempotency_key, run=file,
                digest=body_hash("hotline/tickets", fields)).body


@router.get("/tickets", summary="Tickets by town, category, status and time (planner, steward: "
            "masked text; hotline, admin: original, audited)",
            response_model=Page[TicketPublic], response_model_exclude_unset=True)
def get_tickets(
    conn: ConnDep, principal: TicketReader, town: Town, coordsys: Coordsys, paging: PagingDep,
    service_code: str | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    where = TicketFilter(town.towncode, service_code, status, start, end, paging.limit,
                         paging.offset)
    total, items = list_tickets(conn, where=where)
    items = reveal(conn, principal, items, resource="hotline/tickets")
    return {"total": total, **paging.as_dict(),
            "items": [convert_points(t, coordsys.coordsys) for t in items]}


@router.get("/tickets.geojson", summary="Ticket points for a heat map, no text (planner, "
            "steward, hotline, admin; anyone else: /hotline/hotspots/cells)",
            response_model=FeatureCollection)
def get_ticket_points(conn: ConnDep, principal: TicketReader, town: Town, days: float = 30,
                      end: datetime | None = None,
                      service_code: str | None = None) -> JSONResponse:
    window = Window(days, end, service_code, town.towncode)
    return JSONResponse(jsonable_encoder(ticket_points(conn, window=window)))


@router.get("/tickets/{ticket_id}", summary="One ticket with its earlier assignments (planner, "
            "steward: masked; hotline, admin: original, audited)",
            response_model=TicketPublic)
def get_one(conn: ConnDep, principal: TicketReader, ticket_id: int,
            coordsys: Coordsys) -> dict[str, Any]:
    (ticket,) = reveal(conn, principal, [get_ticket(conn, ticket_id=ticket_id)],
                       resource=f"ticket/{ticket_id}")
    return convert_points(ticket, coordsys.coordsys)


@router.get("/tickets/{ticket_id}/original",
            summary="The unmasked complaint text (hotline, admin; every read is audited)",
            response_model=TicketOriginal)
def get_original(conn: WriteConn, ticket_id: int, principal: HotlineUser) -> dict[str, Any]:
    original = original_text(conn, ticket_id=ticket_id)
    audit(conn, principal, action="read", resource=f"ticket/{ticket_id}/original")
    return original


@router.patch("/tickets/{ticket_id}",
              summary="Move a ticket along 受理 → 派单 → 处置 → 办结 → 回访 (hotline, admin)",
              response_model=TicketPublic)
def patch_ticket(conn: WriteConn, ticket_id: int, body: TicketUpdate,
                 principal: HotlineUser) -> dict[str, Any]:
    stage = body.target_stage()
    set_stage(conn, ticket_id=ticket_id, stage=stage, note=body.note, key_id=principal.key_id)
    audit(conn, principal, action=status_of(stage), resource=f"ticket/{ticket_id}",
          detail={"stage": stage})
    return convert_points(get_ticket(conn, ticket_id=ticket_id), "wgs84")


@router.get("/rules", summary="The responsibility table", response_model=list[RulePublic])
def get_rules(conn: ConnDep) -> list[dict[str, Any]]:
    return [r.as_dict() for r in load_rules(conn)]


@router.put("/rules", summary="Replace the responsibility table (admin)",
            response_model=list[RulePublic])
def put_rules(conn: WriteConn, rules: list[RuleIn], principal: AdminUser) -> list[dict[str, Any]]:
    new = replace_rules(conn, rules=[r.model_dump() for r in rules])
    audit(conn, principal, action="replace", resource="hotline/rules",
          detail={"rules": len(new)})
    return [r.as_dict() for r in new]


@router.post("/reroute", summary="Route tickets since a date again (admin); history is kept",
             response_model=RerouteCounts, responses=ACCEPTED)
def post_reroute(conn: WriteConn, since: datetime, principal: AdminUser, queue: QueueDep,
                 background: bool = False) -> dict[str, int] | JSONResponse:
    if background:
        return queue_whole(conn, queue, kind="hotline_reroute",
                           params={"since": since.isoformat()}, principal=principal)
    counts = reroute(conn, since=since)
    audit(conn, principal, action="reroute", resource="hotline/tickets", detail=counts)
    return counts


@router.get("/hotspots/repeats",
            summary="Addresses or buildings with repeat complaints in a time window",
            response_model=RepeatsPublic)
def get_repeats(
    conn: ConnDep, principal: TicketReader, town: Town, coordsys: Coordsys,
    days: Annotated[float, Query(gt=0, le=3660)] = 30,
    end: datetime | None = None, min_count: Annotated[int, Query(ge=2)] = 2,
    service_code: str | None = None,
) -> dict[str, Any]:
    window = Window(days, end, service_code, town.towncode)
    found = repeats(conn, window=window, min_count=min_count)
    return {"days": days, "min_count": min_count,
            "items": [convert_points(r, coordsys.coordsys) for r in found]}


@router.get("/hotspots/clusters",
            summary="DBSCAN clusters of ticket points (GeoJSON; eps in metres, EPSG:4549)",
            response_model=FeatureCollection)
def get_clusters(
    conn: ConnDep, principal: TicketReader, town: Town,
    eps_m: Annotated[float, Query(ge=1, le=5000)] = 200,
    min_points: Annotated[int, Query(ge=2, le=1000)] = 3,
    days: Annotated[float, Query(gt=0, le=3660)] = 30, end: datetime | None = None,
    service_code: str | None = None,
) -> dict[str, Any]:
    return clusters(conn, window=Window(days, end, service_code, town.towncode), eps_m=eps_m,
                    min_points=min_points)


@router.get("/hotspots/cells",
            summary="Ticket counts per square cell (anyone; cells of fewer than 3 left out)",
            response_model=FeatureCollection)
def get_cells(
    conn: ConnDep, town: Town, size_m: Annotated[float, Query(ge=100, le=10000)] = 500,
    days: Annotated[float, Query(gt=0, le=3660)] = 30, end: datetime | None = None,
    service_code: str | None = None,
) -> dict[str, Any]:
    return cells(conn, window=Window(days, end, service_code, town.towncode), size_m=size_m)
