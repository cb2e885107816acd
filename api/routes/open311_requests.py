"""A ticket as an Open311 service request: the spec's fields, the workflow stage and its
history, the hand-over (district_code, address_text) and, for roles with ticket access, the
requester's contact (masked but for hotline and admin)."""

from typing import Any

from psycopg import Connection

from api.auth import Principal
from api.routes.hotline import convert_points
from api.routes.hotline_access import reveal
from layers.hotline.sealed import REQUESTER_FIELDS
from layers.hotline.tickets import get_ticket
from layers.hotline.workflow import expected_at, extras, status_of
from spatial.coords import CoordSys


def _notes(ticket: dict[str, Any], stages: list[dict[str, Any]]) -> str | None:
    last = stages[-1] if stages else None
    if last and last["note"]:
        return f"{last['stage']}：{last['note']}"
    return ticket["rule"] or "routing pending"


def _spec_fields(t: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    town, towncode = t["admin_chain"]["town"]["name"], t["admin_chain"]["town"]["code"]
    return {
        "service_request_id": str(t["id"]), "status": status_of(extra["stage"]),
        "status_notes": _notes(t, extra["stages"]), "service_name": t["service_name"],
        "service_code": t["service_code"], "description": t["description"],
        "agency_responsible": t["responsible_unit"],
        "service_notice": "；".join(n for n in (town, t["level"]) if n) or None,
        "requested_datetime": t["requested_at"].isoformat(),
        "updated_datetime": t["updated_at"].isoformat(),
        "expected_datetime": expected_at(t["requested_at"], t["service_code"]).isoformat(),
        "address": t["formatted_address"] or t["address_string"] or t["address_text"],
        "address_id": t["address_code"] or t["address_id"], "zipcode": None,
        "lat": t["lat"], "long": t["lng"], "media_url": extra["media_url"],
        "towncode": towncode,
    }


def _extensions(t: dict[str, Any], extra: dict[str, Any], principal: Principal,
                system: CoordSys) -> dict[str, Any]:
    contact = t.get("contact") or {}
    return {
        "stage": extra["stage"],
        "status_history": [{"stage": s["stage"], "status": status_of(s["stage"]),
                            "note": s["note"], "changed_at": s["changed_at"].isoformat()}
                           for s in extra["stages"]],
        "district_code": t["admin_chain"]["district"]["code"],
        "address_text": t["address_text"], "text_access": t["text_access"],
        "attributes": extra["attributes"],
        **{f: contact.get(f) for f in REQUESTER_FIELDS},
        "level": t["level"], "confidence": t["confidence"], "gps_disagrees": t["gps_disagrees"],
        "town_code": t["admin_chain"]["town"]["code"],
        "community_code": t["admin_chain"]["community"]["code"],
        "grid_code": t["admin_chain"]["grid"]["code"], "coordsys": system,
    }


def request_json(conn: Connection, principal: Principal, tickets: list[dict[str, Any]],
                 system: CoordSys) -> list[dict[str, Any]]:
    """Tickets (from get_ticket/list_tickets) as service requests ``principal`` may see."""
    shown = reveal(conn, principal, tickets, resource="open311/requests")
    more = extras(conn, ids=[t["id"] for t in shown])
    out = []
    for ticket in shown:
        t = convert_points(ticket, system)
        out.append({**_spec_fields(t, more[t["id"]]),
                    **_extensions(t, more[t["id"]], principal, system)})
    return out


def requests_for(conn: Connection, principal: Principal, ids: list[int],
                 system: CoordSys) -> list[dict[str, Any]]:
    return request_json(conn, principal, [get_ticket(conn, ticket_id=i) for i in ids], system)
