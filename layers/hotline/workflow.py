"""A ticket's way through the district's workflow, and what Open311 adds to a ticket.

Stages: 受理 (accepted) → 派单 (dispatched to the responsible unit) → 处置 (being handled) →
办结 (done) → 回访 (the caller called back). Open311's ``status`` is derived: open until 办结.
Every change is a row of ``ticket_status`` (who, when, the note Open311 shows as
``status_notes``). The requester's contact (first_name, last_name, email, phone) is kept apart
from the text and returned masked to every role but hotline and admin.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from address.errors import BadRequest, NotFound
from layers.hotline.mask import mask

STAGES = ("受理", "派单", "处置", "办结", "回访")
CLOSED_STAGES = ("办结", "回访")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
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


def record_filing(conn: Connection, *, ticket_id: int, key_id: int | None) -> None:
    """The first stages of a new ticket: 受理, and 派单 to its unit when it was routed."""
    row = conn.execute("SELECT responsible_unit FROM ticket WHERE id = %s", [ticket_id]
                       ).fetchone()
    unit = row[0] if row else None
    set_stage(conn, ticket_id=ticket_id, stage="受理", key_id=key_id)
    if unit:
        set_stage(conn, ticket_id=ticket_id, stage="派单", note=f"派单至{unit}", key_id=key_id)


def store_extras(conn: Connection, *, ticket_id: int, media_url: str | None,
                 contact: dict[str, str | None], attributes: dict[str, Any]) -> None:
    """The Open311 fields besides the text: media_url, the requester's contact, attributes."""
    given = {k: v for k, v in contact.items() if k in CONTACT_FIELDS and v}
    conn.execute("UPDATE ticket SET media_url = %s, contact = %s, attributes = %s WHERE id = %s",
                 [media_url, json.dumps(given, ensure_ascii=False) if given else None,
                  Jsonb(attributes), ticket_id])


def extras(conn: Connection, *, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Stage, media_url, contact (as stored) and stage history of each ticket."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT id, stage, media_url, contact, attributes FROM ticket"
                           " WHERE id = ANY(%s)", [ids]).fetchall()
        history = cur.execute("SELECT ticket_id, stage, note, changed_at FROM ticket_status"
                              " WHERE ticket_id = ANY(%s) ORDER BY id", [ids]).fetchall()
    out = {r["id"]: {"stage": r["stage"], "media_url": r["media_url"],
                     "contact": json.loads(r["contact"]) if r["contact"] else {},
                     "attributes": r["attributes"],
                     "stages": []} for r in rows}
    for h in history:
        out[h.pop("ticket_id")]["stages"].append(dict(h))
    return out


def masked_contact(contact: dict[str, str]) -> dict[str, str]:
    """The contact as roles without the right see it: a name keeps its first character, an
    e-mail its domain, a phone number its shape (the masking of the text)."""
    out = {}
    for key, value in contact.items():
        if key == "email" and "@" in value:
            local, _, domain = value.partition("@")
            out[key] = f"{local[:1]}***@{domain}"
        elif key == "phone":
            masked = mask(value).text
            out[key] = masked if masked != value else "*" * len(value)
        else:
            out[key] = value[:1] + "*" * (len(value) - 1)
    return out
