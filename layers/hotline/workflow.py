"""A ticket's way through the district's workflow, and what Open311 adds to a ticket.

Stages: 受理 (accepted) → 派单 (dispatched to the responsible unit) → 处置 (being handled) →
办结 (done) → 回访 (the caller called back). Open311's ``status`` is derived: open until 办结.
Every change is a row of ``ticket_status`` (who, when, the note Open311 shows as
``status_notes``). The requester's contact (first_name, last_name, email, phone) is sealed with
the text when the ticket is filed (:mod:`layers.hotline.sealed`), not here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest, NotFound

STAGES = ("受理", "派单", "处置", "办结", "回访")
CLOSED_STAGES = ("办结", "回访")
# When a category is expected to be done (the district's service promise, calendar days).
EXPECTED_DAYS = {"noise": 1, "traffic": 1, "water": 3, "road": 5, "sanitation": 2}
DEFAULT_EXPECTED_DAYS = 7


def status_of(stage: str) -> str:
    return "closed" if stage in CLOSED_STAGES else "open"


def expected_at(requested_at: datetime, service_code: str) -> datetime:
    return requested_at + timedelta(days=EXPECTED_DAYS.get(service_code, DEFAULT_EXPECTED_DAYS))


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise BadRequest(f"unknown stage {stage!r}: use one of {' → '.join(STAGES)}")
    return stage


def set_stage(conn: Connection, *, ticket_id: int, stage: str, note: str = "",
              key_id: int | None = None) -> None:
    """Move a ticket to ``stage`` (any stage: a reopened ticket goes back to 处置) and record it;
    ``status`` follows. Runs in the caller's transaction."""
    check_stage(stage)
    cur = conn.execute("UPDATE ticket SET stage = %s, status = %s, updated_at = now()"
                       " WHERE id = %s", [stage, status_of(stage), ticket_id])
    if cur.rowcount != 1:
        raise NotFound(f"no ticket {ticket_id}")
    conn.execute("INSERT INTO ticket_status (ticket_id, stage, note, key_id)"
                 " VALUES (%s, %s, %s, %s)", [ticket_id, stage, note, key_id])


def filing_stages(unit: str | None) -> list[tuple[str, str]]:
    """The stages a new ticket goes through at once, with their notes: 受理, and 派单 to its
    unit when it was routed to one (:func:`layers.hotline.tickets.file_ticket` stores them with
    the ticket, in one statement)."""
    return [("受理", ""), *([("派单", f"派单至{unit}")] if unit else [])]


def extras(conn: Connection, *, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Stage, media_url, attributes and stage history of each ticket."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT id, stage, media_url, attributes FROM ticket"
                           " WHERE id = ANY(%s)", [ids]).fetchall()
        history = cur.execute("SELECT ticket_id, stage, note, changed_at FROM ticket_status"
                              " WHERE ticket_id = ANY(%s) ORDER BY id", [ids]).fetchall()
    out = {r["id"]: {"stage": r["stage"], "media_url": r["media_url"],
                     "attributes": r["attributes"],
                     "stages": []} for r in rows}
    for h in history:
        out[h.pop("ticket_id")]["stages"].append(dict(h))
    return out
