"""Routing one complaint: its address → a point → the admin chain → the responsible unit.

The text is geocoded with the hotline's boilerplate (来电反映, 投诉 …) and the personal data blanked
out, offset for offset, so the extracted span is the address and not the caller's phone number.
Where the text gives a precise place (a door, building, POI, village) that point is used; else the
caller's GPS point when there is one; else whatever coarse answer the text gave. The chain keeps
only the levels the answer is good for: a town-level answer has no community or grid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from psycopg import Connection

from address.errors import BadRequest
from address.geocode.details import GeocodeRequest
from address.geocode.forward import geocode
from address.geocode.query import address_text
from address.geocode.results import Candidate, GeocodeResult
from address.register.admin import admin_codes_at
from address.text.extract import extract
from layers.hotline.handover import named_chain
from layers.hotline.mask import Masked
from layers.hotline.rules import Assignment, Rule, chain_names, decide

_BOILERPLATE = re.compile(r"(市民来电|来电反映|来电人|来电|市民|网友|反映|投诉|举报|诉求|咨询|表示|"
                          r"希望|要求|请求|请|帮忙|处理|联系电话|电话|手机|身份证号?|称)")
# The chain levels each geocoding level is good for.
_LEVEL_DEPTH = {"门牌号": 4, "楼栋": 4, "单元": 4, "兴趣点": 4, "村庄": 3, "社区": 3,
                "道路": 2, "乡镇": 2, "区县": 1}
PRECISE_LEVELS = ("门牌号", "楼栋", "单元", "兴趣点", "村庄")
CHAIN_LEVELS = ("district", "town", "community", "grid")
DISAGREE_M = 500.0
_SUFFIXES = set("区镇村路街弄号队组里苑园")
MAX_RETRIES = 6
_GUESSES = ("fuzzy", "fallback")  # match types that are a guess at a name the register lacks


@dataclass(frozen=True)
class Routing:
    address_text: str | None
    address_code: str | None
    formatted_address: str | None
    level: str | None
    match_type: str | None
    confidence: float | None
    candidates: list[dict[str, Any]]
    location_source: str | None  # text | gps | None
    lng: float | None
    lat: float | None
    gps_distance_m: float | None
    gps_disagrees: bool
    chain: dict[str, str]
    names: dict[str, str]
    assignment: Assignment
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def geocodable_text(text: str, masked: list[Masked]) -> str:
    """``text`` with boilerplate verbs and personal data replaced by commas (same offsets)."""
    chars = list(_BOILERPLATE.sub(lambda m: "，" * len(m.group(0)), text))
    for span in masked:
        chars[span.start:span.end] = "，" * (span.end - span.start)
    return "".join(chars)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in metres (short distances; the sphere is good enough)."""
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def trim_chain(codes: Mapping[str, str | None], level: str | None) -> dict[str, str]:
    depth = _LEVEL_DEPTH.get(level or "", 4 if level is None else 2)
    return {lv: c for lv in CHAIN_LEVELS[:depth] if (c := codes.get(lv))}


def _candidate_chain(best: Candidate | None) -> dict[str, str]:
    if best is None:
        return {}
    return trim_chain({"district": best.adcode, "town": best.towncode,
                       "community": best.community_code, "grid": best.grid_code}, best.level)


def _named_chain(text: str) -> dict[str, str]:
    """District and town the text names, when nothing of the register matched (松江区九亭镇…;
    a road of another district, a city outside Shanghai: see :mod:`layers.hotline.handover`)."""
    return named_chain(text)


@dataclass(frozen=True)
class _Location:
    """Where a complaint is: the point used, from where, its chain, and how GPS and text agree."""
    source: str | None  # text | gps | None
    point: tuple[float, float] | None
    chain: dict[str, str]
    gap_m: float | None  # text point to GPS point
    disagrees: bool


def route(conn: Connection, *, text: str, service_code: str, masked: list[Masked],
          rules: list[Rule], districts: tuple[str, ...], gps: tuple[float, float] | None = None,
          disagree_m: float = DISAGREE_M) -> Routing:
    """Everything the ticket needs besides its own fields; ``gps`` is WGS84 (lng, lat)."""
    result = _not_a_guess(_geocode(conn, geocodable_text(text, masked), districts), text,
                          districts)
    where = _locate(conn, text, result.best, gps, disagree_m)
    names = chain_names(conn, where.chain)
    assignment = decide(rules, service_code=service_code, values=names)
    notes = ([f"the GPS point and the text disagree (> {disagree_m:g} m or another area)"]
             if where.disagrees else [])
    return with_address_text(Routing(
        **_answer(result),
        candidates=[_candidate(c) for c in result.candidates] if len(result.candidates) > 1
        else [],
        location_source=where.source, lng=where.point[0] if where.point else None,
        lat=where.point[1] if where.point else None,
        gps_distance_m=round(where.gap_m, 1) if where.gap_m is not None else None,
        gps_disagrees=where.disagrees, chain=where.chain, names=names, assignment=assignment,
        reason=result.reason, notes=notes), geocodable_text(text, masked))


def _answer(result: GeocodeResult) -> dict[str, Any]:
    """What the text's geocode says: the address fields of a Routing (all None without one)."""
    best = result.best
    if best is None:
        return dict.fromkeys(("address_text", "address_code", "formatted_address", "level",
                              "match_type", "confidence"))
    return {"address_text": result.address_text,
            "address_code": best.code if best.level in PRECISE_LEVELS else None,
            "formatted_address": best.formatted_address, "level": best.level,
            "match_type": best.match_type, "confidence": best.confidence}


def _locate(conn: Connection, text: str, best: Candidate | None,
            gps: tuple[float, float] | None, disagree_m: float) -> _Location:
    """The text's point where it is precise, else the GPS point, else the coarse answer; the
    chain of whichever is used (the text's named district and town when nothing matched)."""
    text_point = (best.lng, best.lat) if best else None
    gap = distance_m(text_point, gps) if (text_point and gps) else None
    gps_chain = trim_chain(admin_codes_at(conn, lng=gps[0], lat=gps[1]), None) if gps else {}
    precise = best is not None and best.level in PRECISE_LEVELS
    text_chain = _candidate_chain(best)
    disagrees = bool(gps) and _disagree(
        text, best, text_chain, gps_chain, gap if precise else None, disagree_m)
    location = _Location("text" if text_point else None, text_point, text_chain, gap, disagrees)
    if gps and not precise and not (not best and disagrees):
        location = _Location("gps", gps, gps_chain, gap, disagrees)
    if not location.chain and not best:
        location = _Location(location.source, location.point, _named_chain(text), gap, disagrees)
    return location


def _disagree(text: str, best: Candidate | None, text_chain: Mapping[str, str],
              gps_chain: Mapping[str, str], precise_gap: float | None, disagree_m: float) -> bool:
    """The GPS point is far from a precise text point, in another town than the text's, or (no
    match) outside the district the text names."""
    if precise_gap is not None and precise_gap > disagree_m:
        return True
    town, gps_town = text_chain.get("town"), gps_chain.get("town")
    if town and gps_town and town != gps_town:
        return True
    return not best and _named_chain(text).get("district") not in (None, gps_chain.get("district"))


def _shorter(spans: list[str]) -> list[str]:
    """Each span, then its prefixes that end on an address suffix, longest first: a span that
    ran on into the complaint (新连村那里的共享单车堆在路) backs off to 新连村."""
    out: list[str] = []
    for span in spans:
        cuts = [i + 1 for i, ch in enumerate(span[:-1]) if ch in _SUFFIXES]
        out += [span] + [span[:i] for i in reversed(cuts)]
    return list(dict.fromkeys(s for s in out if len(s) >= 3))[:MAX_RETRIES]


def _geocode(conn: Connection, text: str, districts: tuple[str, ...]) -> GeocodeResult:
    """The geocode of the text; when that finds nothing below the district, the address spans
    the extractor sees on their own, then shorter (the whole-text parse, or the span rules, may
    carry a span on into the complaint: 华志路311弄这里有人, 新连村那里的…路)."""
    result = geocode(conn, GeocodeRequest(text=text, districts=districts))
    if result.best is not None and result.best.level != "区县":
        return result
    spans = [s.text for s in sorted(extract(text), key=lambda s: s.start - s.end)]
    for span in _shorter(spans):
        if span == result.address_text:
            continue
        alt = geocode(conn, GeocodeRequest(text=span, districts=districts))
        if alt.best is not None and alt.best.level != "区县":
            return GeocodeResult(result.query, alt.address_text, alt.components, alt.best,
                                 alt.candidates)
    return result


def _not_a_guess(result: GeocodeResult, text: str,
                 districts: tuple[str, ...]) -> GeocodeResult:
    """No answer rather than a near-miss in the register (兴国路 → 乐国路) when the text names a
    place elsewhere: a town or district of another district (凌云路街道), a road the road table puts
    in another district, a city outside Shanghai. The ticket is then handed over."""
    best = result.best
    if best is None or best.match_type not in _GUESSES:
        return result
    named = named_chain(text, explicit=True)
    elsewhere = named.get("city") or named.get("district")
    if not elsewhere or elsewhere in districts:
        return result
    return GeocodeResult(result.query, result.address_text, result.components, None, (),
                         f"a near match in the register, but the text names {elsewhere}")


def _candidate(c: Any) -> dict[str, Any]:
    keys = ("formatted_address", "code", "level", "match_type", "confidence", "lng", "lat",
            "towncode", "community_code")
    return {k: getattr(c, k) for k in keys}


def reroute_chain(conn: Connection, *, lng: float | None, lat: float | None, level: str | None,
                  source: str | None, chain: dict[str, str]) -> dict[str, str]:
    """The chain of a stored ticket under the current boundaries (its point, its level)."""
    if lng is None or lat is None:
        return chain
    here = dict(admin_codes_at(conn, lng=lng, lat=lat))
    return trim_chain(here, None if source == "gps" else level)


_AT_ADDRESS = """SELECT code, canonical, level, ST_X(point) AS lng, ST_Y(point) AS lat,
    district_code, town_code, community_code, grid_code
FROM address WHERE code = %s AND valid_to IS NULL AND point IS NOT NULL"""


def route_at_address(conn: Connection, *, address_id: str, service_code: str,
                     rules: list[Rule]) -> Routing:
    """A ticket the caller placed at a standard address (Open311 ``address_id``): its point and
    its chain, whatever the text says. An unknown address is a 400, not a silent text match."""
    row = conn.execute(_AT_ADDRESS, [address_id]).fetchone()
    if row is None:
        raise BadRequest(f"address_id {address_id!r} is not a current standard address")
    code, canonical, level, lng, lat, *codes = row
    chain = {lv: c for lv, c in zip(CHAIN_LEVELS, codes, strict=True) if c}
    names = chain_names(conn, chain)
    return Routing(address_text=canonical, address_code=code, formatted_address=canonical,
                   level=level or "门牌号", match_type="exact", confidence=1.0, candidates=[],
                   location_source="address", lng=lng, lat=lat, gps_distance_m=None,
                   gps_disagrees=False, chain=chain, names=names,
                   assignment=decide(rules, service_code=service_code, values=names),
                   notes=["placed at the address_id the caller gave"])


def with_address_text(routing: Routing, text: str) -> Routing:
    """A routing without a register match keeps the address the text names (黄浦区陕西南路100号),
    so a handed-over ticket still says where."""
    if routing.address_text or not extract(text):
        return routing
    return replace(routing, address_text=address_text(text).strip("，"))
