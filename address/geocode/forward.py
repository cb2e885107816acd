"""Forward geocoding: text (or structured parts) → the best standard address and candidates.

A pipeline in the manner of Nominatim: pull the address out of free text, parse and standardize
it, then try searches from the cheapest and surest to the loosest, and stop at the first that
answers. Each answer says what it is: ``level`` (门牌号, 楼栋, 道路, 村庄, 乡镇 …),
``match_type`` (exact, fuzzy, interpolated, fallback) and ``confidence``. Nothing matched means
no result and a reason, never a silent guess. Points are WGS84; conversions happen at the edge.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

from psycopg import Connection

from address.geocode.interpolate import interpolate_door
from address.geocode.sql import (
    address_rows_by_code,
    address_rows_by_key,
    area_point,
    door_points,
    place_rows,
)
from address.parse.parser import ParsedAddress, parse
from address.text.coding import PLACE_CODE_LENGTH, code_prefixes, name_grams, pinyin_forms
from address.text.extract import extract
from address.text.standard import Segment, StandardForm, same_address, standardize

STRUCTURED_ORDER = ("prov", "city", "district", "town", "community", "village_group", "road",
                    "roadno", "poi", "houseno", "cellno", "floorno", "roomno")
_SWAP_DOOR = {"号": "弄", "弄": "号"}


@dataclass
class Candidate:
    formatted_address: str
    lng: float
    lat: float
    level: str
    match_type: str
    confidence: float
    code: str | None = None
    components: dict[str, str] = field(default_factory=dict)
    adcode: str | None = None
    towncode: str | None = None
    community_code: str | None = None
    grid_code: str | None = None
    status: str = "active"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GeocodeResult:
    query: str
    address_text: str
    components: dict[str, str]
    best: Candidate | None
    candidates: list[Candidate]
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "address_text": self.address_text,
                "components": self.components, "reason": self.reason,
                "best": self.best.as_dict() if self.best else None,
                "candidates": [c.as_dict() for c in self.candidates]}


@dataclass(frozen=True)
class GeocodeRequest:
    text: str = ""
    parts: dict[str, str] = field(default_factory=dict)
    districts: tuple[str, ...] = ("310118",)  # what the register covers; the first is the default
    town_code: str | None = None  # restrict to a town (AMap's ``city`` narrowed down)
    limit: int = 5


_STRUCTURAL = {"town", "community", "village_group", "road", "roadno", "houseno", "cellno",
               "floorno", "roomno"}


def address_text(text: str, parsed: ParsedAddress | None = None) -> str:
    """The address inside free text (a complaint), or the text itself.

    The extracted span, carried on where the parse of the whole text (``parsed``, if the caller
    has it) shows it stopped too soon: inside a component (新园|路) or right before a structural
    one (新园路|123号).
    """
    spans = extract(text)
    if not spans:
        return text
    best = max(spans, key=lambda s: s.end - s.start)
    start, end = best.start, best.end
    for span in sorted((parsed or parse(text)).spans, key=lambda s: s.start):
        inside = span.start < end < span.end
        follows = span.start == end and span.label in _STRUCTURAL
        if inside or follows:
            end = span.end
    return text[start:end]


def structured_text(parts: dict[str, str]) -> str:
    return "".join(parts.get(label, "") for label in STRUCTURED_ORDER)


def candidate_from_row(row: dict[str, Any], match_type: str, confidence: float) -> Candidate:
    return Candidate(
        formatted_address=row["canonical"], lng=row["lng"], lat=row["lat"], level=row["level"],
        match_type=match_type, confidence=round(confidence, 3), code=row["code"],
        components=row["components"], adcode=row["district_code"], towncode=row["town_code"],
        community_code=row["community_code"], grid_code=row["grid_code"], status=row["status"])


def _rank(
    rows: list[dict[str, Any]], form: StandardForm, town: str | None
) -> list[dict[str, Any]]:
    """Rows in the named town first; several towns left means an ambiguous address."""
    wanted = town or form.codes.get("town")
    return sorted(rows, key=lambda r: (r["town_code"] != wanted, r["code"]))


def _exact(conn: Connection, form: StandardForm, req: GeocodeRequest,
           district: str) -> list[Candidate]:
    rows = _rank(address_rows_by_key(conn, district=district, address_key=form.address_key,
                                     local_key=form.local_key), form, req.town_code)
    towns = {r["town_code"] for r in rows}
    confidence = 1.0 if len(towns) <= 1 else 0.8
    return [candidate_from_row(r, "exact", confidence) for r in rows[: req.limit]]


@dataclass(frozen=True)
class PlaceMatch:
    code: str
    kind: str
    name: str
    exact: bool
    lng: float | None
    lat: float | None
    town_code: str


def resolve_place(conn: Connection, form: StandardForm, district: str,
                  edits: bool = True) -> PlaceMatch | None:
    """The register's place for the form's: same name, same pinyin (a homophone typo such as
    华芝路 for 华志路), or — with ``edits``, for queries, not imports — one edit away, or a name
    the written one ends with (chatter the tagger took into the name: 来电反映明珠路)."""
    if form.place is None:
        return None
    kind, name = form.place
    pinyin, _ = pinyin_forms(name)
    rows = place_rows(conn, district=district, kind=kind, name=name, pinyin=pinyin,
                      grams=name_grams(name))

    def acceptable(row: dict[str, Any]) -> bool:
        if row["name"] == name or row["pinyin"] == pinyin:
            return True
        if not edits:
            return False
        typo = {**_place_components(kind, row["name"]), **_segment_components(form.segments)}
        return name.endswith(row["name"]) or same_address(form, typo)

    best = next((row for row in rows if acceptable(row)), None)
    if best is None:
        return None
    return PlaceMatch(best["code"], kind, best["name"], best["name"] == name, best["lng"],
                      best["lat"], best["town_code"])


def _place_components(kind: str, name: str) -> dict[str, str]:
    label = {"road": "road", "poi": "poi", "village": "community", "community": "community",
             "devzone": "devzone"}[kind]
    return {label: name}


def _segment_components(segments: list[Segment]) -> dict[str, str]:
    labels = {"door": "roadno", "building": "houseno", "unit": "cellno", "room": "roomno"}
    return {labels[s.kind]: s.text for s in segments}


def _by_code(conn: Connection, form: StandardForm, place: PlaceMatch,
             req: GeocodeRequest) -> list[Candidate]:
    """The address with the form's numbers under the place; else the nearest shallower one."""
    prefixes = code_prefixes(conn, place.code, form.segments)
    rows = {r["code"]: r for r in address_rows_by_code(conn, codes=prefixes)}
    for depth, code in enumerate(prefixes):
        if code in rows and len(code) > PLACE_CODE_LENGTH:
            full = depth == 0 and len(prefixes) == len(form.segments) + 1
            match_type = ("exact" if place.exact else "fuzzy") if full else "fallback"
            confidence = (0.95 if place.exact else 0.85) if full else 0.7 - 0.05 * depth
            return [candidate_from_row(rows[code], match_type, confidence)]
    return []


def _swapped_door(form: StandardForm) -> StandardForm | None:
    """The same form with 号 and 弄 swapped on the door: people mix them up."""
    doors = [s for s in form.segments if s.kind == "door" and s.text[-1:] in _SWAP_DOOR]
    if not doors:
        return None
    door = doors[0]
    swapped = Segment("door", door.text[:-1] + _SWAP_DOOR[door.text[-1]])
    segments = [swapped if s is door else s for s in form.segments]
    return StandardForm(form.components, form.codes, form.canonical, form.address_key,
                        form.local_key, form.level, form.place, segments)


def _interpolated(conn: Connection, form: StandardForm, place: PlaceMatch) -> list[Candidate]:
    door = next((s for s in form.segments if s.kind == "door"), None)
    if place.kind != "road" or door is None or door.number is None:
        return []
    kind_digit = {"号": "1", "弄": "2"}.get(door.text[-1:], "1")
    known = door_points(conn, place_code=place.code, kind_digit=kind_digit)
    point = interpolate_door(door.number, known)
    if point is None:
        return []
    return [Candidate(
        formatted_address=_place_text(form, place) + door.text, lng=point[0], lat=point[1],
        level="门牌号", match_type="interpolated", confidence=0.6,
        components={"road": place.name, "roadno": door.text})]


def _place_text(form: StandardForm, place: PlaceMatch) -> str:
    """The canonical text up to the place (the form's admin part and the register's name)."""
    head = form.canonical.split(form.place[1], 1)[0] if form.place else form.canonical
    return head + place.name


_PLACE_LEVEL = {"road": "道路", "poi": "兴趣点", "village": "村庄", "community": "社区",
                "devzone": "开发区"}


def _place_fallback(form: StandardForm, place: PlaceMatch) -> list[Candidate]:
    if place.lng is None or place.lat is None:
        return []
    confidence = 0.45 if place.exact else 0.4
    return [Candidate(
        formatted_address=_place_text(form, place), lng=place.lng, lat=place.lat,
        level=_PLACE_LEVEL[place.kind], match_type="fallback", confidence=confidence,
        code=place.code, components=_place_components(place.kind, place.name),
        towncode=place.town_code or None)]


def _area_fallback(conn: Connection, form: StandardForm) -> list[Candidate]:
    """The community, town or district the text names (their point on surface)."""
    for level, name, confidence in (("community", "社区", 0.3), ("town", "乡镇", 0.2),
                                    ("district", "区县", 0.1)):
        code = form.codes.get(level)
        point = area_point(conn, code=code) if code else None
        if point is None:
            continue
        village = level == "community" and point["name"].endswith(("村委会", "村"))
        label = "村庄" if village else name
        return [Candidate(
            formatted_address=point["canonical"], lng=point["lng"], lat=point["lat"],
            level=label, match_type="fallback", confidence=confidence,
            components={k: v for k, v in form.components.items()
                        if k in ("prov", "city", "district", "town", "community")},
            adcode=form.codes.get("district"), towncode=form.codes.get("town"),
            community_code=form.codes.get("community"))]
    return []


def _searches(conn: Connection, form: StandardForm, req: GeocodeRequest,
              district: str, exact: list[Candidate] | None = None) -> list[Candidate]:
    found = exact if exact is not None else _exact(conn, form, req, district)
    if found:
        return found
    place = resolve_place(conn, form, district)
    if place is not None:
        found = _by_code(conn, form, place, req)
        if found and found[0].match_type != "fallback":
            return found
        swapped = _swapped_door(form)
        alternative = _by_code(conn, swapped, place, req) if swapped else []
        if alternative and alternative[0].match_type != "fallback":
            alternative[0].match_type = "fuzzy"
            alternative[0].confidence = 0.75
            return alternative
        found = found or _interpolated(conn, form, place) or _place_fallback(form, place)
        if found:
            return found
    return _area_fallback(conn, form)


def query_form(query: str, *, free_text: bool = True) -> tuple[str, StandardForm, StandardForm]:
    """(address text, its form, the whole query's form), parsing each text once."""
    whole = standardize(parsed := parse(query))
    if not free_text:
        return query, whole, whole
    text = address_text(query, parsed)
    return text, whole if text == query else standardize(parse(text)), whole


def _form(conn: Connection, query: str,
          req: GeocodeRequest) -> tuple[str, StandardForm, list[Candidate] | None]:
    """The text to geocode, its form and, when already looked up, its exact matches: the
    extracted address, unless the whole query is an address the register knows as written
    (names the tagger has no label for: 城南3队)."""
    text, form, whole = query_form(query, free_text=bool(req.text))
    if text != query and whole.place:
        found = _exact(conn, whole, req, whole.district_code or req.districts[0])
        if found:
            return query, whole, found
    return text, form, None


def geocode(conn: Connection, req: GeocodeRequest) -> GeocodeResult:
    query = req.text or structured_text(req.parts)
    return geocode_form(conn, req, query, *_form(conn, query, req))


def geocode_form(conn: Connection, req: GeocodeRequest, query: str, text: str,
                 form: StandardForm, exact: list[Candidate] | None = None) -> GeocodeResult:
    """The searches for a query already reduced to its address and parsed (``exact``: its exact
    matches when the caller has looked them up already)."""
    district = form.district_code or req.districts[0]
    city = form.codes.get("city") or form.codes.get("prov")
    if city and not district.startswith(city):  # 北京市…: a city, no district we know of
        district = city
    if district not in req.districts:
        return GeocodeResult(query, text, form.components, None, [],
                             reason=f"the address is in district {district}, outside the register")
    candidates = _searches(conn, form, req, district, exact)
    if not candidates:
        return GeocodeResult(query, text, form.components, None, [],
                             reason="no road, place, village, town or district of the register "
                                    "was recognised")
    fill_admin_codes(conn, candidates)
    return GeocodeResult(query, text, form.components, candidates[0], candidates[: req.limit])


def fill_admin_codes(conn: Connection, candidates: list[Candidate]) -> None:
    """Admin codes for answers that are points rather than register rows."""
    from address.register.registry import admin_codes_at

    for c in candidates:
        if c.code is None or len(c.code) <= PLACE_CODE_LENGTH:
            admin = admin_codes_at(conn, lng=c.lng, lat=c.lat)
            c.adcode = c.adcode or admin.get("district")
            c.towncode = c.towncode or admin.get("town")
            c.community_code = c.community_code or admin.get("community")
            c.grid_code = c.grid_code or admin.get("grid")
