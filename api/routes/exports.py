"""Watermarked exports of hotline tickets (hotline, admin): CSV and GeoJSON, masked text, every
text value and point marked with the exporting key (``dizhi watermark identify FILE``)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import Principal, audit
from api.deps import WriteConn, require_roles
from api.params import Town
from api.schemas.common import FeatureCollection
from layers.hotline.crypto import current_keyring
from layers.hotline.export import MAX_ROWS, tickets_csv, tickets_geojson
from layers.hotline.tickets import TicketFilter
from layers.hotline.watermark import payload

router = APIRouter(prefix="/hotline", tags=["hotline"])
HotlineUser = Annotated[Principal, Depends(require_roles("hotline"))]


def _filter(town: Town, service_code: str | None = None,
            status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
            start: datetime | None = None, end: datetime | None = None,
            limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 10_000) -> TicketFilter:
    return TicketFilter(town.towncode, service_code, status, start, end, limit, 0)


Where = Annotated[TicketFilter, Depends(_filter)]


def _export(conn: WriteConn, principal: Principal, fmt: str, body: str) -> Response:
    audit(conn, principal, action="export", resource=f"hotline/tickets.{fmt}")
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/geo+json"
    return Response(("\ufeff" + body) if fmt == "csv" else body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="tickets.{fmt}"'})


@router.get("/tickets.csv", summary="Tickets as CSV, watermarked with your key (hotline, admin)",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
@router.get("/export/tickets.csv", include_in_schema=False)
def export_csv(conn: WriteConn, principal: HotlineUser, where: Where) -> Response:
    mark = payload(current_keyring(), principal.key_id or 0)
    return _export(conn, principal, "csv", tickets_csv(conn, where=where, mark=mark))


@router.get("/export/tickets.geojson",
            summary="Tickets as GeoJSON with masked text, watermarked with your key "
                    "(hotline, admin)", response_class=Response,
            responses={200: {"content": {"application/geo+json": {"schema": {
                "$ref": "#/components/schemas/FeatureCollection"}}},
                "description": "the tickets", "model": FeatureCollection}})
def export_geojson(conn: WriteConn, principal: HotlineUser, where: Where) -> Response:
    mark = payload(current_keyring(), principal.key_id or 0)
    return _export(conn, principal, "geojson", tickets_geojson(conn, where=where, mark=mark))
