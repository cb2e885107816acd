"""Each search of the forward geocoder on its own, against the sample register: what it answers
and what it declines."""


import pytest

from address.geocode.query import Reading, read_query
from address.geocode.searches import (
    AreaSearch,
    ExactSearch,
    InterpolatedSearch,
    NearestCodeSearch,
    PlaceCodeSearch,
    PlaceFallbackSearch,
    PlaceLookup,
    RowsByKey,
    SwappedDoorSearch,
)
from address.geocode.searches.by_code import PlaceSearch, swapped_door
from address.register.imports.chunk import ImportOptions
from address.register.imports.report import import_rows
from address.register.sources import SourceRow
from address.text.standard import Segment
from tests.district import geocode_request

DETAILS = geocode_request()
MINGZHU_416_LANE = "31011810001220416"


def reading(text: str) -> Reading:
    return read_query(geocode_request(text=text)).address


def exact(text: str) -> ExactSearch:
    return ExactSearch(reading(text), keys=RowsByKey())


def by_place(cls: type[PlaceSearch], text: str) -> PlaceSearch:
    r = reading(text)
    return cls(r, places=PlaceLookup(r))


def test_exact_answers_the_registers_text(conn):
    found = exact("青浦区明珠路416弄").lookup(conn, DETAILS)
    assert found and found[0].penalty == ExactSearch.penalty == 0
    assert [c.code for c in found] == [MINGZHU_416_LANE]
    assert found[0].match_type == "exact"


@pytest.mark.parametrize("text", ["明珠路416号", "华志路557号", "华志路"])
def test_exact_declines_what_the_register_does_not_spell_so(conn, text):
    assert exact(text).lookup(conn, DETAILS) == []


def test_exact_in_several_towns_is_penalised_and_the_named_town_comes_first(conn):
    conn.execute("""
        INSERT INTO address (code, version, status, components, canonical, address_key,
            local_key, level, place_code, point, district_code, town_code, community_code,
            grid_code, tags)
        SELECT code || '9', version, status, components, canonical, address_key, local_key,
            level, place_code, point, district_code, '310118107', NULL, NULL, tags
        FROM address WHERE code = %s AND valid_to IS NULL""", [MINGZHU_416_LANE])
    found = exact("明珠路416弄").lookup(conn, geocode_request(town_code="310118107"))
    assert found and found[0].penalty > ExactSearch.penalty
    assert [c.towncode for c in found] == ["310118107", "310118106"]
    assert len(exact("明珠路416弄").lookup(conn, geocode_request(limit=1))) == 1


def test_place_code_answers_the_numbers_under_the_place(conn):
    found = by_place(PlaceCodeSearch, "华志路559号").lookup(conn, DETAILS)
    assert found and found[0].penalty == PlaceCodeSearch.penalty
    assert found[0].code == "31011810004710559"
    assert found[0].match_type == "exact"


def test_place_code_through_a_homophone_is_fuzzy(conn):
    found = by_place(PlaceCodeSearch, "明朱路416弄").lookup(conn, DETAILS)
    assert found and found[0].penalty > PlaceCodeSearch.penalty
    assert found[0].code == MINGZHU_416_LANE
    assert found[0].match_type == "fuzzy"


@pytest.mark.parametrize("text", ["华志路557号", "明珠路416弄5号楼", "明珠路416号", "不存在路1号"])
def test_place_code_declines_numbers_it_cannot_find_in_full(conn, text):
    assert by_place(PlaceCodeSearch, text).lookup(conn, DETAILS) == []


def swapped(text: str) -> SwappedDoorSearch:
    r = reading(text)
    return SwappedDoorSearch(r, places=PlaceLookup(r))


def test_swapped_door_answers_hao_for_long(conn):
    found = swapped("明珠路416号").lookup(conn, DETAILS)
    assert found
    assert found[0].code == MINGZHU_416_LANE
    assert found[0].match_type == "fuzzy"


def test_swapped_door_finds_a_room_of_a_building_with_no_unit(conn):
    """The room's code runs through the unit's blank part: still the numbers in full."""
    x, y = conn.execute("SELECT ST_X(point), ST_Y(point) FROM address WHERE code = %s",
                        [MINGZHU_416_LANE]).fetchone()
    with conn.transaction():
        report = import_rows(conn, ImportOptions(source="survey", districts=("310118",)),
                             [SourceRow(2, "上海市青浦区明珠路416弄7号楼302室", x, y)])
    assert report.counts["created"] == 1
    found = swapped("明珠路416号7号楼302室").lookup(conn, DETAILS)
    assert found and found[0].match_type == "fuzzy"
    assert found[0].code.startswith(MINGZHU_416_LANE) and found[0].code != MINGZHU_416_LANE
    assert "302室" in found[0].formatted_address


def test_swapped_door_declines_when_the_swapped_door_is_not_there(conn):
    assert swapped("明珠路417弄").lookup(conn, DETAILS) == []
    assert swapped("华志路").lookup(conn, DETAILS) == []  # no door to swap
    assert swapped_door(reading("明珠路416号").form.segments) == [Segment("door", "416弄")]


def test_nearest_code_answers_the_deepest_known_address(conn):
    found = by_place(NearestCodeSearch, "明珠路416弄5号楼").lookup(conn, DETAILS)
    assert found and found[0].penalty > NearestCodeSearch.penalty  # a level above the one asked
    assert found[0].code == MINGZHU_416_LANE
    assert found[0].match_type == "fallback"


@pytest.mark.parametrize("text", ["明珠路416弄", "明珠路417弄", "华志路"])
def test_nearest_code_declines_full_matches_and_unknown_doors(conn, text):
    assert by_place(NearestCodeSearch, text).lookup(conn, DETAILS) == []


def interpolated(text: str) -> InterpolatedSearch:
    r = reading(text)
    door = next(s for s in r.form.segments if s.kind == "door")
    return InterpolatedSearch(r, places=PlaceLookup(r), door=door)


def test_interpolated_between_known_doors_on_the_same_side(conn):
    [found] = interpolated("华志路557号").lookup(conn, DETAILS)
    assert (found.level, found.match_type, found.code) == ("门牌号", "interpolated", None)
    doors = dict(conn.execute(
        "SELECT code, ST_X(point) FROM address WHERE code = ANY(%s) AND valid_to IS NULL",
        [["31011810004710555", "31011810004710559"]]).fetchall())
    assert min(doors.values()) <= found.lng <= max(doors.values())


def test_interpolated_declines_a_door_beyond_the_known_ones(conn):
    assert interpolated("华志路99999号").lookup(conn, DETAILS) == []


def test_place_fallback_answers_the_place(conn):
    [road] = by_place(PlaceFallbackSearch, "华志路").lookup(conn, DETAILS)
    assert road.penalty == PlaceFallbackSearch.penalty
    assert (road.level, road.match_type, road.components) == ("道路", "fallback",
                                                              {"road": "华志路"})
    [typo] = by_place(PlaceFallbackSearch, "华芝路").lookup(conn, DETAILS)
    assert typo.penalty > road.penalty and typo.code == road.code


def test_place_fallback_declines_a_place_the_register_lacks(conn):
    assert by_place(PlaceFallbackSearch, "徐泾镇不存在的地方").lookup(conn, DETAILS) == []


def test_area_answers_the_town_or_village_named(conn):
    town = AreaSearch(reading("赵巷镇"), level="town").lookup(conn, DETAILS)
    assert [(c.level, c.towncode, c.penalty) for c in town] == [("乡镇", "310118105", 0.8)]
    village = AreaSearch(reading("华新镇凌家村"), level="community").lookup(conn, DETAILS)
    assert village and village[0].level == "村庄"


def test_area_declines_a_level_the_text_does_not_name(conn):
    assert AreaSearch(reading("上海市青浦区"), level="town").lookup(conn, DETAILS) == []
    assert AreaSearch(reading("华志路"), level="district").lookup(conn, DETAILS) == []


def test_area_penalties_rise_with_the_size_of_the_area():
    r = reading("华新镇凌家村")
    penalties = [AreaSearch(r, level=level).penalty for level in ("community", "town", "district")]
    assert penalties == sorted(penalties) and len(set(penalties)) == 3
