"""Looser searches, tried when no register address answers: a door interpolated between known
doors on the road, the place itself, or the community, town or district the text names."""

from typing import ClassVar

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.interpolate import interpolate_door
from address.geocode.places import PLACE_LEVEL, place_components, place_warnings
from address.geocode.query import Reading
from address.geocode.results import Candidate
from address.geocode.searches.base import AbstractSearch
from address.geocode.searches.by_code import PlaceLookup, PlaceSearch
from address.geocode.sql import area_point, door_points, place_points_by_town
from address.text.format import village_name
from address.text.standard import Segment

_KIND_DIGIT = {"号": "1", "弄": "2"}  # the code digit of a door's kind
_AREA_LEVEL = {"community": "社区", "town": "乡镇", "district": "区县"}
FUZZY_PLACE_NAME = 0.05  # the place by pinyin, one edit or a shorter name
OTHER_TOWN = 0.05  # the place's part in another town than its main one


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
            formatted_address=place.name + self.door.text, lng=point[0], lat=point[1],
            level="门牌号", match_type="interpolated", penalty=self.penalty,
            components={"road": place.name, "roadno": self.door.text},
            warnings=place_warnings(self.reading.form, place))]


class PlaceFallbackSearch(PlaceSearch):
    """The place itself (a road, compound or village), at its point."""

    penalty = 0.55

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        place = self.places.place(conn)
        if place is None or place.lng is None or place.lat is None:
            return []
        points = {place.town_code: (place.lng, place.lat)}
        town = details.town_code or self.reading.form.codes.get("town")
        # a road through several towns: its part in each, unless the town asked for is the
        # place's own (its point is the answer then, whatever the other towns are)
        if place.address_count > 1 and town != place.town_code:
            points = {**place_points_by_town(conn, place_code=place.code), **points}
        if town in points:
            points = {town: points[town]}
        penalty = self.penalty + (0.0 if place.exact else FUZZY_PLACE_NAME)
        return [Candidate(
            formatted_address=place.name, lng=lng, lat=lat, level=PLACE_LEVEL[place.kind],
            match_type="fallback", penalty=penalty + (0.0 if i == 0 else OTHER_TOWN),
            code=place.code, components=place_components(place.kind, place.name),
            warnings=place_warnings(self.reading.form, place))
            for i, (lng, lat) in enumerate(points.values())]


class AreaSearch(AbstractSearch):
    """The community, town or district the text names, at a point on its surface."""

    PENALTY: ClassVar[dict[str, float]] = {"community": 0.7, "town": 0.8, "district": 0.9}

    def __init__(self, reading: Reading, level: str, priority: int = 0) -> None:
        super().__init__(reading, priority)
        self.level = level
        self.penalty = self.PENALTY[level]

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        # a level the text writes: a road alone has its town's codes too (the road gazetteer),
        # but the text does not name that town, so it is no fallback
        named = self.level in self.reading.form.components
        code = self.reading.form.codes.get(self.level) if named else None
        point = area_point(conn, code=code) if code else None
        if code is None or point is None:
            return []
        village = village_name(code)
        community = self.level == "community"
        return [Candidate(
            formatted_address=point["canonical"], lng=point["lng"], lat=point["lat"],
            level="村庄" if village else _AREA_LEVEL[self.level], match_type="fallback",
            penalty=self.penalty,
            components={"community": village or point["name"]} if community else {},
            adcode=code[:6], towncode=code[:9] if len(code) >= 9 else None,
            community_code=code if community else None)]
