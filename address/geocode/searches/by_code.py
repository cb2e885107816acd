"""Searches by code under the register's place: the address with the query's numbers, the same
with 号 and 弄 swapped, and the nearest shallower address when the full one is not there."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.memo import memoized, remember
from address.geocode.places import PlaceMatch, place_warnings, resolve_place
from address.geocode.query import Reading
from address.geocode.results import Candidate, candidate_from_row
from address.geocode.searches.base import AbstractSearch
from address.geocode.sql import address_rows_by_code
from address.text.coding import PLACE_CODE_LENGTH, code_parts, code_prefixes
from address.text.standard import Segment

FUZZY_PLACE = 0.1  # the place by pinyin, one edit or a shorter name, not as written
PER_LEVEL = 0.05  # each level the nearest address is above the one asked for
SWAP_DOOR = {"号": "弄", "弄": "号"}


@dataclass(frozen=True)
class CodeHit:
    """The deepest register address under the place among the codes of the query's numbers."""

    row: dict[str, Any]
    depth: int  # levels above the deepest code asked for
    full: bool  # every number of the query coded, and the address found at the deepest


class PlaceLookup:
    """The reading's place, and the addresses under it, each looked up at most once per query
    and only when a search first needs them."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self._place: tuple[PlaceMatch | None] | None = None
        self._hits: dict[tuple[Segment, ...], CodeHit | None] = {}

    def place(self, conn: Connection) -> PlaceMatch | None:
        if self._place is None:
            self._place = (resolve_place(conn, self.reading.form, self.reading.district),)
        return self._place[0]

    def deepest(self, conn: Connection, segments: list[Segment]) -> CodeHit | None:
        """The hit for the segments; the first call looks up the rows of every variant of the
        reading's numbers with one query (the swapped door's too: it is asked next when the
        numbers as written are not there)."""
        key = tuple(segments)
        if key not in self._hits:
            place = self.place(conn)
            variants = [v for v in code_variants(self.reading.form.segments)
                        if v not in self._hits]
            if key not in variants:
                variants = [key]
            self._hits.update(dict.fromkeys(variants) if place is None
                              else _deepest(conn, place, variants))
        return self._hits[key]


@memoized
def _code_prefixes(conn: Connection, *, place_code: str,
                   segments: tuple[Segment, ...]) -> list[str]:
    return code_prefixes(conn, place_code, list(segments))


def code_variants(segments: list[Segment]) -> list[tuple[Segment, ...]]:
    """The numbers the searches by code look up: as written, and with 号/弄 swapped on the
    door when it has one (``SwappedDoorSearch``)."""
    swapped = swapped_door(segments)
    return [tuple(segments)] if swapped is None else [tuple(segments), tuple(swapped)]


def _variant_prefixes(conn: Connection, place_code: str, variants: list[tuple[Segment, ...]]
                      ) -> tuple[dict[tuple[Segment, ...], list[str]], list[str]]:
    """Each variant's codes (deepest first), and all of them in the order they are fetched."""
    prefixes = {v: _code_prefixes(conn, place_code=place_code, segments=v) for v in variants}
    return prefixes, sorted({code for codes in prefixes.values() for code in codes})


def prefetch_code_rows(conn: Connection, readings: Iterable[Reading]) -> None:
    """For a batch (inside ``batch_memo``): the rows ``_deepest`` reads for each reading's
    numbers under its place, fetched with one query and remembered as its own would answer."""
    wanted = []
    for reading in readings:
        place = resolve_place(conn, reading.form, reading.district)
        if place is not None:
            wanted.append(_variant_prefixes(conn, place.code,
                                            code_variants(reading.form.segments))[1])
    codes = sorted({code for prefixes in wanted for code in prefixes})
    rows = {r["code"]: r for r in address_rows_by_code.__wrapped__(conn, codes=codes)}  # type: ignore[attr-defined]
    for prefixes in wanted:
        remember(address_rows_by_code, [rows[c] for c in prefixes if c in rows], codes=prefixes)


def _deepest(conn: Connection, place: PlaceMatch, variants: list[tuple[Segment, ...]]
             ) -> dict[tuple[Segment, ...], CodeHit | None]:
    """For each variant of the numbers, the deepest address under the place (one query)."""
    prefixes, codes = _variant_prefixes(conn, place.code, variants)
    rows = {r["code"]: r for r in address_rows_by_code(conn, codes=codes)}
    return {v: _hit(prefixes[v], len(code_parts(list(v))), rows) for v in variants}


def _hit(prefixes: list[str], parts: int, rows: dict[str, dict[str, Any]]) -> CodeHit | None:
    """``parts``: the code's levels the numbers fill, gaps included (a room under a building
    with no unit is coded through the unit's blank part), so the numbers are coded in full
    when there is a prefix for each level and the place."""
    for depth, code in enumerate(prefixes):
        if code in rows and len(code) > PLACE_CODE_LENGTH:
            return CodeHit(rows[code], depth, depth == 0 and len(prefixes) == parts + 1)
    return None


class PlaceSearch(AbstractSearch):
    """A search under the reading's place (which ``places`` looks up once for all of them)."""

    def __init__(self, reading: Reading, places: PlaceLookup, priority: int = 0) -> None:
        super().__init__(reading, priority)
        self.places = places


class PlaceCodeSearch(PlaceSearch):
    """The address with every number of the query under the place (华志路559号)."""

    penalty = 0.05

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        hit = self.places.deepest(conn, self.reading.form.segments)
        place = self.places.place(conn)
        if hit is None or not hit.full or place is None:
            return []
        if place.exact:
            return [candidate_from_row(hit.row, "exact", self.penalty)]
        return [candidate_from_row(hit.row, "fuzzy", self.penalty + FUZZY_PLACE,
                                   place_warnings(self.reading.form, place))]


def swapped_door(segments: list[Segment]) -> list[Segment] | None:
    """The same numbers with 号 and 弄 swapped on the door (people mix them up), if it has one."""
    door = next((s for s in segments if s.kind == "door" and s.text[-1:] in SWAP_DOOR), None)
    if door is None:
        return None
    swapped = Segment("door", door.text[:-1] + SWAP_DOOR[door.text[-1]])
    return [swapped if s is door else s for s in segments]


class SwappedDoorSearch(PlaceSearch):
    """The address under the place with 号 for 弄 or 弄 for 号 (明珠路416号 → 416弄)."""

    penalty = 0.25

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        segments = swapped_door(self.reading.form.segments)
        hit = None if segments is None else self.places.deepest(conn, segments)
        if hit is None or not hit.full:
            return []
        return [candidate_from_row(hit.row, "fuzzy", self.penalty)]


class NearestCodeSearch(PlaceSearch):
    """The deepest address under the place the query's numbers lead to, when the full one is
    not in the register (明珠路416弄5号楼 → 明珠路416弄)."""

    penalty = 0.3

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        hit = self.places.deepest(conn, self.reading.form.segments)
        if hit is None or hit.full:
            return []
        return [candidate_from_row(hit.row, "fallback", self.penalty + PER_LEVEL * hit.depth)]
