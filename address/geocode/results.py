"""What the forward geocoder answers: frozen result dataclasses, and confidence from penalty.

A search gives each candidate it finds a penalty: its own (how loose a match it makes) plus what
the answer adds (several towns, a shallower address). A candidate's confidence is ``1 - penalty``
(``confidence_of``), the only place a confidence is computed.
"""

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from psycopg import Connection

from address.register.admin import admin_codes_at
from address.text.coding import PLACE_CODE_LENGTH


def confidence_of(penalty: float) -> float:
    """The confidence (0–1) of an answer with this penalty."""
    return round(min(1.0, max(0.0, 1.0 - penalty)), 3)


@dataclass(frozen=True)
class Candidate:
    """One answer: a standard address (or a place, or an area) and where it is (WGS84)."""

    formatted_address: str
    lng: float
    lat: float
    level: str
    match_type: str  # exact | fuzzy | interpolated | fallback
    penalty: float  # how far from the register's own text; confidence is 1 - penalty
    code: str | None = None
    components: dict[str, str] = field(default_factory=dict)
    adcode: str | None = None
    towncode: str | None = None
    community_code: str | None = None
    grid_code: str | None = None
    status: str = "active"

    @property
    def confidence(self) -> float:
        return confidence_of(self.penalty)

    def as_dict(self) -> dict[str, Any]:
        """The fields, with ``confidence`` in place of ``penalty``."""
        return dict(("confidence", self.confidence) if k == "penalty" else (k, v)
                    for k, v in asdict(self).items())

    @property
    def in_register(self) -> bool:
        """A register row below a place (its admin codes are stored with it)."""
        return self.code is not None and len(self.code) > PLACE_CODE_LENGTH


@dataclass(frozen=True)
class GeocodeResult:
    query: str
    address_text: str
    components: dict[str, str]
    best: Candidate | None
    candidates: tuple[Candidate, ...] = ()
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "address_text": self.address_text,
                "components": self.components, "reason": self.reason,
                "best": self.best.as_dict() if self.best else None,
                "candidates": [c.as_dict() for c in self.candidates]}


def candidate_from_row(row: dict[str, Any], match_type: str, penalty: float) -> Candidate:
    """A candidate for a register row (the columns of ``address.geocode.sql``)."""
    return Candidate(
        formatted_address=row["canonical"], lng=row["lng"], lat=row["lat"], level=row["level"],
        match_type=match_type, penalty=penalty, code=row["code"], components=row["components"],
        adcode=row["district_code"], towncode=row["town_code"],
        community_code=row["community_code"], grid_code=row["grid_code"], status=row["status"])


def with_admin_codes(conn: Connection, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """Admin codes filled in for answers that are points rather than register rows."""
    return tuple(c if c.in_register else _with_codes_at(conn, c) for c in candidates)


def _with_codes_at(conn: Connection, c: Candidate) -> Candidate:
    admin = admin_codes_at(conn, lng=c.lng, lat=c.lat)
    return replace(c, adcode=c.adcode or admin.get("district"),
                   towncode=c.towncode or admin.get("town"),
                   community_code=c.community_code or admin.get("community"),
                   grid_code=c.grid_code or admin.get("grid"))
