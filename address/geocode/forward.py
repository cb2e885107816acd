"""Forward geocoding: text (or structured parts) → the best standard address and candidates.

A pipeline in the manner of Nominatim's: read the query (the address inside free text, parsed and
standardized: ``query``), build the searches that apply to it (``searches``: exact key, the
numbers under the place by code, 号/弄 swapped, the nearest shallower address, door-number
interpolation, the place, the community, town or district), run them cheapest first and take the
first answer. Its confidence comes from its penalty (``results.confidence_of``). Every
answer says what it is: ``level`` (门牌号, 楼栋, 道路, 村庄, 乡镇 …), ``match_type`` (exact,
fuzzy, interpolated, fallback) and ``confidence``. Nothing matched means no result and a reason,
never a silent guess. Points are WGS84; conversions happen at the edge.
"""

from psycopg import Connection

from address.geocode.consistency import disagreements
from address.geocode.details import GeocodeRequest
from address.geocode.query import Reading, Readings, read_query
from address.geocode.results import Candidate, GeocodeResult, with_admin_codes
from address.geocode.searches import (
    AbstractSearch,
    AreaSearch,
    ChunkKeys,
    ExactSearch,
    InterpolatedSearch,
    KeyRows,
    NearestCodeSearch,
    PlaceCodeSearch,
    PlaceFallbackSearch,
    PlaceLookup,
    RowsByKey,
    SwappedDoorSearch,
)
from address.geocode.searches.by_code import SWAP_DOOR
from address.geocode.searches.exact import exact_readings

NOTHING_FOUND = "no road, place, village, town or district of the register was recognised"


def geocode(conn: Connection, details: GeocodeRequest, *, readings: Readings | None = None,
            keys: KeyRows | None = None) -> GeocodeResult:
    """The best answer for the request and its candidates, or no answer and a reason.

    ``readings``: the query already read (batch geocoding parses a chunk at once); ``keys``:
    where exact searches read their rows (batch geocoding fetches a chunk's at once)."""
    readings = readings or read_query(details)
    answer: tuple[Reading, list[Candidate]] | None = None
    for search in build_searches(readings, keys=keys or _key_rows(conn, readings)):
        if answer and answer[1][0].penalty <= search.penalty:
            break  # nothing cheaper can come
        if found := _checked(conn, details, search.reading, search.lookup(conn, details)):
            answer = _merged(answer, (search.reading, found))
    if answer:
        return _answered(details, readings.query, *answer)
    address = readings.address
    if address.outside:
        return _outside(readings.query, address)
    return GeocodeResult(readings.query, address.text, address.form.components, None,
                         reason=NOTHING_FOUND)


def _key_rows(conn: Connection, readings: Readings) -> KeyRows:
    """Where a query's exact searches read their rows: with two readings (a complaint and the
    address in it), both keys' rows at once, one round trip instead of two."""
    if readings.whole is None:
        return RowsByKey()
    return ChunkKeys(conn, exact_readings([readings]))


def build_searches(readings: Readings, *, keys: KeyRows) -> list[AbstractSearch]:
    """The searches that apply to the readings, in the order they run: by penalty, then the
    whole text as written before the address extracted from it."""
    searches: list[AbstractSearch] = []
    if readings.whole is not None:
        searches.append(ExactSearch(readings.whole, keys, 0))
    if readings.address.outside is None:
        searches += address_searches(readings.address, keys=keys, priority=1)
    searches.sort(key=lambda s: (s.penalty, s.priority))
    return searches


def address_searches(reading: Reading, *, keys: KeyRows, priority: int) -> list[AbstractSearch]:
    """Every search the reading's form has the parts for (a place, a door, an admin code)."""
    form = reading.form
    searches: list[AbstractSearch] = [ExactSearch(reading, keys, priority)]
    if form.place is not None:
        places = PlaceLookup(reading)
        searches += [PlaceCodeSearch(reading, places, priority),
                     NearestCodeSearch(reading, places, priority),
                     PlaceFallbackSearch(reading, places, priority)]
        doors = [s for s in form.segments if s.kind == "door"]
        if any(d.text[-1:] in SWAP_DOOR for d in doors):
            searches.append(SwappedDoorSearch(reading, places, priority))
        if form.place[0] == "road" and doors:
            searches.append(InterpolatedSearch(reading, places, doors[0], priority))
    searches += [AreaSearch(reading, level, priority)
                 for level in AreaSearch.PENALTY if form.codes.get(level)]
    return searches


def _checked(conn: Connection, details: GeocodeRequest, reading: Reading,
             found: list[Candidate]) -> list[Candidate]:
    """The search's candidates with their admin codes, only those in the town asked for
    (``city=``), each with a warning and a higher penalty where it departs from the text's town
    or village; best first."""
    if not found:
        return []
    if reading.outside:
        return found  # answered as outside the register
    town, community = details.town_code, None
    if town is None or town == reading.form.codes.get("town"):
        town, community = reading.form.codes.get("town"), reading.form.codes.get("community")
    checked = [disagreements(c, town=town, community=community)
               for c in with_admin_codes(conn, tuple(found))
               if details.town_code is None or c.towncode == details.town_code]
    return _unique(checked)


def _unique(candidates: list[Candidate]) -> list[Candidate]:
    """Best first, each address or area once (its best)."""
    seen: set[tuple[str | None, str]] = set()
    out = []
    for c in sorted(candidates, key=lambda c: c.penalty):
        if (c.code, c.formatted_address) not in seen:
            seen.add((c.code, c.formatted_address))
            out.append(c)
    return out


def _merged(answer: tuple[Reading, list[Candidate]] | None,
            found: tuple[Reading, list[Candidate]]) -> tuple[Reading, list[Candidate]]:
    """The answer so far and a later search's: the reading of the better, all candidates."""
    if answer is None:
        return found
    best = min(answer, found, key=lambda a: a[1][0].penalty)
    return best[0], _unique(answer[1] + found[1])


def _answered(details: GeocodeRequest, query: str, reading: Reading,
              candidates: list[Candidate]) -> GeocodeResult:
    if reading.outside:  # the whole text is a register address, but it names another city
        return _outside(query, reading)
    return GeocodeResult(query, reading.text, reading.form.components, candidates[0],
                         tuple(candidates[: details.limit]))


def _outside(query: str, reading: Reading) -> GeocodeResult:
    return GeocodeResult(query, reading.text, reading.form.components, None,
                         reason=f"the address is in district {reading.outside}, outside the "
                                "register")
