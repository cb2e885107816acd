"""Who reads what of a ticket: anonymous and key holders without a ticket role get aggregated hot
spots only; planner and steward the masked text; hotline and admin the original, each read of it
audited (one row per request, with the ticket ids). The caller's own GPS point goes only to
hotline and admin; the ticket's located point (what maps and hot spots show) to every reader."""

from typing import Annotated, Any

from fastapi import Depends
from psycopg import Connection

from api.auth import Principal, audit
from api.deps import require_roles
from layers.hotline.tickets import PRIVILEGED_ROLES, original_text

READER_ROLES = ("planner", "steward", "hotline")
TicketReader = Annotated[Principal, Depends(require_roles(*READER_ROLES))]


def sees_original(principal: Principal) -> bool:
    return principal.role in PRIVILEGED_ROLES


def reveal(conn: Connection, principal: Principal, tickets: list[dict[str, Any]], *,
           resource: str) -> list[dict[str, Any]]:
    """The tickets as ``principal`` may see them: ``text_access`` says which text (and which
    ``contact``) they carry."""
    original = sees_original(principal)
    for ticket in tickets:
        ticket["text_access"] = "original" if original else "masked"
        masked_contact = ticket.pop("contact_masked", None) or {}
        if not original:  # the caller's own position is theirs: the located point stays
            ticket["gps_lng"] = ticket["gps_lat"] = None
            ticket["contact"] = masked_contact
        else:
            found = original_text(conn, ticket_id=ticket["id"])
            ticket["description"], ticket["address_string"] = (found["description"],
                                                                found["address_string"])
            ticket["contact"] = found["contact"]
    if original and tickets:
        audit(conn, principal, action="read", resource=resource,
              detail={"ticket_ids": [t["id"] for t in tickets]})
    return tickets
