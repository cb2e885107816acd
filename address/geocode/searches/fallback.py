"""Looser searches, tried when no register address answers: a door interpolated between known
doors on the road, the place itself, or the community, town or district the text names."""

from typing import ClassVar

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.interpolate import interpolate_door
from address.geocode.places import PLACE_LEVEL, place_components, place_text
from address.geocode.query import Reading
from address.geocode.results import Candidate
from address.geocode.searches.base import AbstractSearch
from address.geocode.searches.by_code import PlaceLookup, PlaceSearch
from address.geocode.sql import area_point, door_points
from address.text.standard import Segment

_KIND_DIGIT = {"号": "1", "弄": "2"}  # the code digit of a door's kind
_AREA_LEVEL = {"community": "社区", "town": "乡镇", "district": "区县"}
_AREA_COMPONENTS = ("prov", "city", "district", "town", "community")
FUZZY_PLACE_NAME = 0.05  # the place by pinyin, one edit or a shorter name


class InterpolatedSearch(PlaceSearch):
    """A door number on a road between two known doors on the same side (华志路557号)."""

    penalty = 0.4

    def __init__(self, reading: Reading, places: PlaceLookup, door: Segment,
                 priority: int = 0) -> None:
        super().__init__(reading, places, priority)
        self.door = door

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        number = self.door.number
        place = None if number is None else self.places.place(conn)
        if place is None or number is None:
            return []
        known = door_points(conn, place_code=place.code,
                            kind_digit=_KIND_DIGIT.get(self.door.text[-1:], "1"))
        point = interpolate_door(number, known)
        if point is None:
            return []
        return [Candidate(
            formatted_address=place_text(self.reading.form, place) + self.door.text,
            lng=point[0], lat=point[1], level="门牌号", match_type="interpolated",
            penalty=self.penalty, components={"road": place.name, "roadno": self.door.text})]


class PlaceFallbackSearch(PlaceSearch):
    """The place itself (a road, compound or village), at its point."""

    penalty = 0.55

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        place = self.places.place(conn)
        if place is None or place.lng is None or place.lat is None:
            return []
        return [Candidate(
            formatted_address=place_text(self.reading.form, place), lng=place.lng,
            lat=place.lat, level=PLACE_LEVEL[place.kind], match_type="fallback",
            penalty=self.penalty + (0.0 if place.exact else FUZZY_PLACE_NAME), code=place.code,
            components=place_components(place.kind, place.name),
            towncode=place.town_code or None)]


class AreaSearch(AbstractSearch):
    """The community, town or district the text names, at a point on its surface."""

    PENALTY: ClassVar[dict[str, float]] = {"community": 0.7, "town": 0.8, "district": 0.9}

    def __init__(self, reading: Reading, level: str, priority: int = 0) -> None:
        super().__init__(reading, priority)
        self.level = level
        self.penalty = self.PENALTY[level]

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        codes = self.reading.form.codes
        point = area_point(conn, code=codes[self.level]) if codes.get(self.level) else None
        if point is None:
            return []
        village = self.level == "community" and point["name"].endswith(("村委会", "村"))
        return [Candidate(
            formatted_address=point["canonical"], lng=point["lng"], lat=point["lat"],
            level="村庄" if village else _AREA_LEVEL[self.level], match_type="fallback",
            penalty=self.penalty, components={k: v for k, v in self.reading.form.components.items()
                                              if k in _AREA_COMPONENTS},
            adcode=codes.get("district"), towncode=codes.get("town"),
            community_code=codes.get("community"))]
