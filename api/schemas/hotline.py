"""The 12345 hotline's native endpoints: tickets, the responsibility table, hot spots."""

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.common import Public, deprecated

LNGLAT = '"lng,lat" in the requested coordsys'


class NamedCode(Public):
    code: str | None
    name: str | None


class TicketChain(Public):
    """The admin chain of the ticket's point, by level."""

    district: NamedCode
    town: NamedCode
    community: NamedCode
    grid: NamedCode


class TicketCandidate(Public):
    model_config = ConfigDict(extra="allow")
    formatted_address: str | None = None
    location: str | None = Field(None, description=LNGLAT)
    lng: float | None = deprecated("location")
    lat: float | None = deprecated("location")


class TicketPublic(Public):
    """A ticket as a role with ticket access sees it."""

    id: int
    service_code: str
    service_name: str
    status: str = Field(description="open or closed")
    description: str = Field(description="masked (phone and ID numbers, names) for planner and "
                             "steward; the original for hotline and admin (see text_access)")
    text_access: str = Field("masked", description="masked or original")
    pii: list[dict[str, Any]] = Field(description="kinds and offsets of what was masked")
    address_string: str | None
    address_id: str | None
    address_text: str | None = Field(description="the address part of the complaint")
    address_code: str | None
    formatted_address: str | None
    level: str | None
    match_type: str | None
    confidence: float | None
    candidates: list[TicketCandidate]
    location_source: str | None = Field(description="text, gps or none")
    location: str | None = Field(None, description=LNGLAT)
    gps_location: str | None = Field(None, description=f"the caller's GPS, {LNGLAT}")
    gps_distance_m: float | None
    gps_disagrees: bool
    admin_chain: TicketChain
    district_code: str | None = Field(None, description="the district the address is in (a "
                                      "ticket of another district is handed over to it)")
    responsible_unit: str | None
    rule_id: int | None
    rule: str | None
    requested_at: datetime
    updated_at: datetime
    history: list[dict[str, Any]] | None = Field(None, description="earlier assignments")
    coordsys: str
    lng: float | None = deprecated("location")
    lat: float | None = deprecated("location")
    gps_lng: float | None = deprecated("gps_location")
    gps_lat: float | None = deprecated("gps_location")


class TicketOriginal(Public):
    id: int
    description: str
    address_string: str | None


class RulePublic(Public):
    id: int
    service_code: str | None
    area_code: str
    priority: int
    unit: str
    note: str


class RerouteCounts(Public):
    tickets: int = Field(description="tickets looked at")
    rerouted: int = Field(description="tickets whose assignment changed")


class RepeatPublic(Public):
    kind: str = Field(description="address or building")
    key: str
    formatted_address: str | None
    count: int
    ticket_ids: list[int]
    service_codes: list[str]
    first_at: datetime
    last_at: datetime
    location: str | None = Field(None, description=LNGLAT)
    coordsys: str
    lng: float | None = deprecated("location")
    lat: float | None = deprecated("location")


class RepeatsPublic(Public):
    days: float
    min_count: int
    items: list[RepeatPublic]
