"""What the forward geocoder answers: frozen result dataclasses, and confidence from penalty.

A search gives each candidate it finds a penalty: its own (how loose a match it makes) plus what
the answer adds (several towns, a shallower address). A candidate's confidence is ``1 - penalty``
(``confidence_of``), the only place a confidence is computed.
"""

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from psycopg import Connection

from address.geocode.memo import shared
from address.parse.gazetteer import load
from address.register.admin import ADMIN_LEVELS, admin_codes_at
from address.text.coding import PLACE_CODE_LENGTH
from address.text.format import admin_names, unit_name, village_name

AREA_LEVELS = {"区县": 1, "乡镇": 2}  # an area answer has the codes down to its own level only
_LOCAL_ORDER = ("community", "village_group", "devzone", "road", "roadno", "intersection", "poi",
                "subpoi", "houseno", "cellno", "floorno", "roomno")


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
    warnings: tuple[str, ...] = ()  # where the answer departs from the text (another town …)

    @property
    def confidence(self) -> float:
        return confidence_of(self.penalty)

    def as_dict(self) -> dict[str, Any]:
        """The fields, with ``confidence`` in place of ``penalty``."""
        data = dict(("confidence", self.confidence) if k == "penalty" else (k, v)
                    for k, v in asdict(self).items())
        data["warnings"] = list(self.warnings)
        return data

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

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.best.warnings if self.best else ()

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "address_text": self.address_text,
                "components": self.components, "reason": self.reason,
                "warnings": list(self.warnings),
                "best": self.best.as_dict() if self.best else None,
                "candidates": [c.as_dict() for c in self.candidates]}


def candidate_from_row(row: dict[str, Any], match_type: str, penalty: float,
                       warnings: tuple[str, ...] = ()) -> Candidate:
    """A candidate for a register row (the columns of ``address.geocode.sql``)."""
    return Candidate(warnings=warnings,
        formatted_address=row["canonical"], lng=row["lng"], lat=row["lat"], level=row["level"],
        match_type=match_type, penalty=penalty, code=row["code"], components=row["components"],
        adcode=row["district_code"], towncode=row["town_code"],
        community_code=row["community_code"], grid_code=row["grid_code"], status=row["status"])


def with_admin_codes(conn: Connection, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """Answers that are points rather than register rows, with the admin codes of their point
    (those the search did not set) and their text spelled out from those codes."""
    return tuple(named_village(c) if c.in_register
                 else spelled_out(named_village(_with_codes_at(conn, c))) for c in candidates)


def named_village(c: Candidate) -> Candidate:
    """The candidate in the village its text names, when that is a village committee of the
    district (in its town if the name is not unique) whose area its point falls outside of: the
    address names the village it belongs to, the synthetic village areas are only drawn round
    it. The codes then all come from that village's area, with a warning."""
    named = c.components.get("community")
    if not named or not c.adcode:
        return c
    villages = [u.code for u in load().lookup(named, "community")
                if u.code.startswith(c.adcode) and village_name(u.code) in (named, named + "村")]
    in_town = [code for code in villages if code.startswith(c.towncode or "-")]
    chosen = in_town or villages
    if len(chosen) != 1 or chosen[0] == c.community_code:
        return c
    code = chosen[0]
    where = unit_name(c.community_code) or "no village area"
    return replace(c, towncode=code[:9], community_code=code, grid_code=None,
                   warnings=(*c.warnings, f"the point of {named} lies in {where}"))


_admin_codes_at = shared(admin_codes_at)  # a place's or an area's point: once a batch


def _with_codes_at(conn: Connection, c: Candidate) -> Candidate:
    admin = _admin_codes_at(conn, lng=c.lng, lat=c.lat)
    given = (c.adcode, c.towncode, c.community_code, c.grid_code)
    depth = AREA_LEVELS.get(c.level, len(ADMIN_LEVELS))
    district, town, community, grid = (
        value or (admin.get(level) if i < depth else None)
        for i, (level, value) in enumerate(zip(ADMIN_LEVELS, given, strict=True)))
    return replace(c, adcode=district, towncode=town, community_code=community, grid_code=grid)


def spelled_out(c: Candidate) -> Candidate:
    """The candidate's text and components: the admin part from its own codes (never the
    query's), then its local part (village, place, door) in address order."""
    codes = {"prov": (c.adcode or "")[:2], "city": (c.adcode or "")[:4],
             "district": c.adcode or "", "town": c.towncode or ""}
    admin = {level: name for level in ("district", "town") if (name := unit_name(codes[level]))}
    local = [c.components[label] for label in _LOCAL_ORDER if c.components.get(label)]
    return replace(c, formatted_address="".join(admin_names(codes) + local),
                   components={**c.components, **admin})
