"""12345 hotline tickets: file one (mask, geocode, route), read them, list them, re-route them.

Stored: the original text and the caller's contact sealed (AES-GCM, :mod:`layers.hotline.sealed`;
never in the clear), the masked text and contact, what was masked where, the routing (address
span, geocode level/confidence/candidates, GPS agreement, admin chain, unit and rule). Readers
other than the hotline and admin roles only ever get the masked text; the original is opened by
:func:`original_text`, which the API audits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from address.errors import BadRequest, NotFound
from address.transactions import require_transaction
from layers.hotline.crypto import Keyring, current_keyring
from layers.hotline.mask import MaskResult, mask
from layers.hotline.routing import Routing, reroute_chain, route, route_at_address
from layers.hotline.rules import (
    SERVICES,
    Assignment,
    cached_rules,
    chain_names,
    check_service,
    decide,
    load_rules,
)
from layers.hotline.sealed import DESCRIPTION, masked_contact, open_contact, seal_contact
from layers.hotline.workflow import filing_stages

PRIVILEGED_ROLES = ("hotline", "admin")
MAX_TEXT = 4000


@dataclass(frozen=True)
class TicketRequest:
    service_code: str
    description: str
    lng: float | None = None  # WGS84; the API converts
    lat: float | None = None
    address_string: str | None = None
    address_id: str | None = None
    requested_at: datetime | None = None
    # the caller's first_name, last_name, email, phone: stored sealed, shown masked
    contact: dict[str, str] | None = None
    media_url: str | None = None  # Open311's, with its attributes (answers to the definition)
    attributes: dict[str, Any] | None = None


# The ticket and its first stages (受理, and 派单 when routed) in one statement.
_INSERT = """
WITH t AS (INSERT INTO ticket (service_code, description_enc, description_masked, contact_enc,
    contact_masked, pii, address_string,
    address_id, address_text, address_code, formatted_address, level, match_type, confidence,
    candidates, location_source, point, gps_point, gps_distance_m, gps_disagrees, district_code,
    town_code, community_code, grid_code, responsible_unit, rule_id, rule, key_id, requested_at,
    stage, media_url, attributes)
VALUES (%(service_code)s, %(description_enc)s, %(masked)s, %(contact_enc)s,
    %(contact_masked)s, %(pii)s, %(address_string)s,
    %(address_id)s, %(address_text)s, %(address_code)s, %(formatted_address)s, %(level)s,
    %(match_type)s, %(confidence)s, %(candidates)s, %(location_source)s,
    CASE WHEN %(lng)s::float8 IS NULL THEN NULL
         ELSE ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) END,
    CASE WHEN %(gps_lng)s::float8 IS NULL THEN NULL
         ELSE ST_SetSRID(ST_MakePoint(%(gps_lng)s, %(gps_lat)s), 4326) END,
    %(gps_distance_m)s, %(gps_disagrees)s, %(district)s, %(town)s, %(community)s, %(grid)s,
    %(unit)s, %(rule_id)s, %(rule)s, %(key_id)s, coalesce(%(requested_at)s, now()),
    %(stage)s, %(media_url)s, %(attributes)s)
RETURNING id)
INSERT INTO ticket_status (ticket_id, stage, note, key_id)
SELECT t.id, s.stage, s.note, %(key_id)s
FROM t, unnest(%(stages)s::text[], %(notes)s::text[]) WITH ORDINALITY AS s(stage, note, n)
ORDER BY s.n
RETURNING ticket_id
"""


def _validate(req: TicketRequest) -> None:
    check_service(req.service_code)
    if not req.description.strip():
        raise BadRequest("`description` (the complaint text) is empty")
    if len(req.description) > MAX_TEXT:
        raise BadRequest(f"`description` is longer than {MAX_TEXT} characters")
    if (req.lng is None) != (req.lat is None):
        raise BadRequest("give both `lat` and `long`, or neither")


def _route_request(conn: Connection, req: TicketRequest, districts: tuple[str, ...],
                   masked: MaskResult | None = None) -> Routing:
    """``masked``: the description's masking, if the caller has it already."""
    if req.address_id:
        return route_at_address(conn, address_id=req.address_id, service_code=req.service_code,
                                rules=cached_rules(conn))
    text = req.description
    if req.address_string:  # the caller's address field counts as much as the text
        text = f"{req.address_string}，{text}"
    if masked is None or req.address_string:
        masked = mask(text)
    gps = (req.lng, req.lat) if req.lng is not None and req.lat is not None else None
    return route(conn, text=text, service_code=req.service_code, masked=masked.spans,
                 rules=cached_rules(conn), gps=gps, districts=districts)


def _sealed(req: TicketRequest, keyring: Keyring) -> dict[str, Any]:
    contact = {**(req.contact or {}), "address_string": req.address_string}
    return {"description_enc": keyring.encrypt(req.description, purpose=DESCRIPTION),
            "contact_enc": seal_contact(keyring, contact),
            "contact_masked": Jsonb(masked_contact({**(req.contact or {})}))}


def file_ticket(conn: Connection, *, req: TicketRequest, key_id: int | None = None,
                districts: tuple[str, ...], defer: bool = False,
                keyring: Keyring | None = None) -> int:
    """Mask, seal, route and store one ticket with its first stages (:func:`filing_stages`);
    returns its id. With ``defer`` the ticket is stored masked and unrouted, for
    :func:`route_pending` to finish."""
    _validate(req)
    masked = mask(req.description)
    routing = None if defer else _route_request(conn, req, districts, masked)
    gps = (req.lng, req.lat) if req.lng is not None and req.lat is not None else None
    params = _params(req, routing, masked.text, masked.spans, key_id, gps)
    stages = filing_stages(params["unit"])
    row = conn.execute(_INSERT, {
        **params, **_sealed(req, keyring or current_keyring()), "stage": stages[-1][0],
        "stages": [s for s, _ in stages], "notes": [n for _, n in stages],
        "media_url": req.media_url, "attributes": Jsonb(req.attributes or {})}).fetchone()
    assert row is not None
    return int(row[0])


_PENDING = """SELECT id, service_code, description_enc, contact_enc, address_id,
    ST_X(gps_point) AS lng, ST_Y(gps_point) AS lat, requested_at
FROM ticket WHERE rule IS NULL ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED"""

_ROUTED = """UPDATE ticket SET address_text = %(address_text)s, address_code = %(address_code)s,
    formatted_address = %(formatted_address)s, level = %(level)s, match_type = %(match_type)s,
    confidence = %(confidence)s, candidates = %(candidates)s,
    location_source = %(location_source)s,
    point = CASE WHEN %(lng)s::float8 IS NULL THEN NULL
                 ELSE ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) END,
    gps_distance_m = %(gps_distance_m)s, gps_disagrees = %(gps_disagrees)s,
    district_code = %(district)s, town_code = %(town)s, community_code = %(community)s,
    grid_code = %(grid)s, responsible_unit = %(unit)s, rule_id = %(rule_id)s, rule = %(rule)s,
    updated_at = now()
WHERE id = %(id)s"""


def route_pending(conn: Connection, *, districts: tuple[str, ...], limit: int = 50,
                  keyring: Keyring | None = None) -> int:
    """Route up to ``limit`` deferred tickets (oldest first; several workers may run this at
    once: rows are claimed with SKIP LOCKED). Returns how many were routed."""
    require_transaction(conn, "route_pending")
    keyring = keyring or current_keyring()
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_PENDING, [limit]).fetchall()
        for row in rows:
            text = keyring.decrypt(row["description_enc"], purpose=DESCRIPTION)
            given = open_contact(keyring, row["contact_enc"]).get("address_string")
            req = TicketRequest(row["service_code"], text, row["lng"], row["lat"],
                                given, row["address_id"], row["requested_at"])
            routing = _route_request(conn, req, districts)
            params = _params(req, routing, "", [], None, None)
            conn.execute(_ROUTED, {**params, "id": row["id"]})
    return len(rows)


_UNROUTED = Routing(None, None, None, None, None, None, [], None, None, None, None, False, {},
                    {}, Assignment(None, None, ""))


def _params(req: TicketRequest, routing: Routing | None, masked_text: str, spans: list[Any],
            key_id: int | None, gps: tuple[float, float] | None) -> dict[str, Any]:
    pending = routing is None
    routing = routing or _UNROUTED
    chain = routing.chain
    return {
        "service_code": req.service_code, "masked": masked_text,
        "pii": Jsonb([s.as_dict() for s in spans]),
        "address_string": mask(req.address_string).text if req.address_string else None,
        "address_id": req.address_id,
        "address_text": mask(routing.address_text).text if routing.address_text else None,
        "address_code": routing.address_code, "formatted_address": routing.formatted_address,
        "level": routing.level, "match_type": routing.match_type,
        "confidence": routing.confidence, "candidates": Jsonb(routing.candidates),
        "location_source": routing.location_source, "lng": routing.lng, "lat": routing.lat,
        "gps_lng": gps[0] if gps else None, "gps_lat": gps[1] if gps else None,
        "gps_distance_m": routing.gps_distance_m, "gps_disagrees": routing.gps_disagrees,
        "district": chain.get("district"), "town": chain.get("town"),
        "community": chain.get("community"), "grid": chain.get("grid"),
        "unit": routing.assignment.unit, "rule_id": routing.assignment.rule_id,
        "rule": None if pending else routing.assignment.rule, "key_id": key_id,
        "requested_at": req.requested_at,
    }


_COLUMNS = """t.id, t.service_code, t.status, t.description_masked, t.contact_masked, t.pii,
    t.address_string,
    t.address_id, t.address_text, t.address_code, t.formatted_address, t.level, t.match_type,
    t.confidence, t.candidates, t.location_source, ST_X(t.point) AS lng, ST_Y(t.point) AS lat,
    ST_X(t.gps_point) AS gps_lng, ST_Y(t.gps_point) AS gps_lat, t.gps_distance_m,
    t.gps_disagrees, t.district_code, t.town_code, t.community_code, t.grid_code,
    t.responsible_unit, t.rule_id, t.rule, t.requested_at, t.updated_at"""


def _shape(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    chain = {lv: {"code": row.pop(f"{lv}_code"), "name": None}
             for lv in ("district", "town", "community", "grid")}
    for item in chain.values():
        item["name"] = names.get(item["code"] or "")
    row["admin_chain"] = chain
    row["district_code"] = chain["district"]["code"]  # the hand-over, at the top level
    row["service_name"] = SERVICES[row["service_code"]][0]
    row["description"] = row.pop("description_masked")
    return row


def _names_of(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, str]:
    codes = {r[f"{lv}_code"] for r in rows for lv in ("district", "town", "community", "grid")}
    codes.discard(None)
    found = conn.execute("SELECT code, name FROM admin_area WHERE code = ANY(%s)",
                         [sorted(codes)]).fetchall() if codes else []
    return {r[0]: r[1] for r in found}


def get_ticket(conn: Connection, *, ticket_id: int) -> dict[str, Any]:
    """One ticket (masked text) with its earlier assignments in ``history``."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM ticket t WHERE t.id = %s", [ticket_id]
                          ).fetchone()
        if row is None:
            raise NotFound(f"no ticket {ticket_id}")
        history = cur.execute("SELECT reason, assignment, changed_at FROM ticket_history"
                              " WHERE ticket_id = %s ORDER BY id", [ticket_id]).fetchall()
    ticket = _shape(dict(row), _names_of(conn, [row]))
    ticket["history"] = [dict(h) for h in history]
    return ticket


def original_text(conn: Connection, *, ticket_id: int,
                  keyring: Keyring | None = None) -> dict[str, Any]:
    """The unmasked text and contact, opened (callers check the role and audit the read)."""
    row = conn.execute("SELECT description_enc, contact_enc FROM ticket WHERE id = %s",
                       [ticket_id]).fetchone()
    if row is None:
        raise NotFound(f"no ticket {ticket_id}")
    keyring = keyring or current_keyring()
    contact = open_contact(keyring, row[1])
    return {"id": ticket_id, "description": keyring.decrypt(row[0], purpose=DESCRIPTION),
            "address_string": contact.pop("address_string", None), "contact": contact}


@dataclass(frozen=True)
class TicketFilter:
    town_code: str | None = None
    service_code: str | None = None
    status: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    limit: int = 100
    offset: int = 0
    service_codes: tuple[str, ...] = ()  # any of these (Open311's comma list), with service_code


def list_tickets(conn: Connection, *, where: TicketFilter) -> tuple[int, list[dict[str, Any]]]:
    """Tickets filtered by town, category, status and time, newest first."""
    for code in (where.service_code, *where.service_codes):
        if code:
            check_service(code)
    sql = """(%(town)s::text IS NULL OR t.town_code = %(town)s)
        AND (%(service)s::text IS NULL OR t.service_code = %(service)s)
        AND (cardinality(%(services)s::text[]) = 0 OR t.service_code = ANY(%(services)s))
        AND (%(status)s::text IS NULL OR t.status = %(status)s)
        AND (%(start)s::timestamptz IS NULL OR t.requested_at >= %(start)s)
        AND (%(end)s::timestamptz IS NULL OR t.requested_at < %(end)s)"""
    params = {"town": where.town_code, "service": where.service_code, "status": where.status,
              "start": where.start, "end": where.end, "limit": where.limit,
              "offset": where.offset, "services": list(where.service_codes)}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"SELECT count(*) AS n FROM ticket t WHERE {sql}", params).fetchone()
        rows = cur.execute(f"SELECT {_COLUMNS} FROM ticket t WHERE {sql}"
                           " ORDER BY t.requested_at DESC, t.id DESC LIMIT %(limit)s"
                           " OFFSET %(offset)s", params).fetchall()
    names = _names_of(conn, [dict(r) for r in rows])
    return (total or {"n": 0})["n"], [_shape(dict(r), names) for r in rows]


def set_status(conn: Connection, *, ticket_id: int, status: str) -> None:
    if status not in ("open", "closed"):
        raise BadRequest("status is open or closed")
    cur = conn.execute("UPDATE ticket SET status = %s, updated_at = now() WHERE id = %s",
                       [status, ticket_id])
    if cur.rowcount != 1:
        raise NotFound(f"no ticket {ticket_id}")


_REROUTE_ROWS = """SELECT id, service_code, ST_X(point) AS lng, ST_Y(point) AS lat, level,
    location_source, district_code, town_code, community_code, grid_code, responsible_unit,
    rule_id, rule FROM ticket WHERE requested_at >= %s AND rule IS NOT NULL ORDER BY id"""


def reroute(conn: Connection, *, since: datetime,
            reason: str = "boundary change") -> dict[str, int]:
    """Route tickets since ``since`` again under the current boundaries and rules; a ticket whose
    chain or unit changes keeps its old assignment in ``ticket_history``. Runs inside the
    caller's transaction: all tickets are re-routed, or none."""
    require_transaction(conn, "reroute")
    rules = load_rules(conn)
    seen = changed = 0
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_REROUTE_ROWS, [since]).fetchall()
    for row in rows:
        seen += 1
        old = {lv: row[f"{lv}_code"] for lv in ("district", "town", "community", "grid")
               if row[f"{lv}_code"]}
        chain = reroute_chain(conn, lng=row["lng"], lat=row["lat"], level=row["level"],
                              source=row["location_source"], chain=old)
        assignment = decide(rules, service_code=row["service_code"],
                            values=chain_names(conn, chain))
        if chain == old and assignment.unit == row["responsible_unit"]:
            continue
        changed += 1
        _record_history(conn, row, reason)
        conn.execute(
            """UPDATE ticket SET district_code = %s, town_code = %s, community_code = %s,
                   grid_code = %s, responsible_unit = %s, rule_id = %s, rule = %s,
                   updated_at = now() WHERE id = %s""",
            [chain.get("district"), chain.get("town"), chain.get("community"), chain.get("grid"),
             assignment.unit, assignment.rule_id, assignment.rule, row["id"]])
    return {"tickets": seen, "rerouted": changed}


def _record_history(conn: Connection, row: dict[str, Any], reason: str) -> None:
    keys = ("district_code", "town_code", "community_code", "grid_code", "responsible_unit",
            "rule_id", "rule")
    conn.execute("INSERT INTO ticket_history (ticket_id, reason, assignment) VALUES (%s, %s, %s)",
                 [row["id"], reason, Jsonb({k: row[k] for k in keys})])


def route_text(conn: Connection, *, text: str, service_code: str = "other",
               districts: tuple[str, ...], gps: tuple[float, float] | None = None,
               rules: list[Any] | None = None) -> Routing:
    """Route a text without filing a ticket (batch work); ``gps`` is WGS84."""
    check_service(service_code)
    return route(conn, text=text, service_code=service_code, masked=mask(text).spans,
                 rules=rules if rules is not None else cached_rules(conn), gps=gps,
                 districts=districts)
