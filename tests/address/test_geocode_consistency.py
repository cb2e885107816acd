"""The geocoder never contradicts itself: text, components and codes of an answer come from one
register row or one area; a named village or town is answered by its own area, never by a
look-alike elsewhere; departures from the text's town say so; ``city`` restricts."""

import pytest

from address.errors import BadRequest
from address.geocode.consistency import AreaNames, contradictions
from address.geocode.details import town_filter
from address.geocode.forward import geocode
from address.geocode.reverse import ReverseRequest, reverse_geocode
from tests.district import QINGPU, geocode_request

ZHANGMA = "310118102232"  # 张马村村委会, 朱家角镇
ZHAOXIANG, HUAXIN = "310118105", "310118107"
HUAZHI_559 = "31011810004710559"


def best(conn, text, **fields):
    return geocode(conn, geocode_request(text=text, **fields)).best


def test_a_village_without_a_door_answers_its_own_area(conn):
    answer = best(conn, "朱家角镇张马村8组")
    assert (answer.community_code, answer.towncode) == (ZHANGMA, "310118102")
    assert (answer.level, answer.match_type) == ("村庄", "fallback")
    assert answer.formatted_address == "上海市青浦区朱家角镇张马村"
    inside = conn.execute("SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))"
                          " FROM admin_area WHERE code = %s",
                          [answer.lng, answer.lat, ZHANGMA]).fetchone()[0]
    assert inside


def test_every_village_lands_in_its_town_and_village_without_contradiction(conn):
    areas = AreaNames.load(conn)
    villages = conn.execute(
        "SELECT v.code, regexp_replace(v.name, '村委会$', ''), t.name FROM admin_area v"
        " JOIN admin_area t ON t.code = v.parent_code WHERE v.level = 'community'"
        " AND v.name LIKE '%%村委会' AND v.code LIKE '310118%%'").fetchall()
    assert len(villages) > 100
    for code, village, town in villages:
        result = geocode(conn, geocode_request(text=f"{town}{village}3组"))
        assert result.best is not None and result.best.community_code == code, village
        assert not [contradictions(c, areas) for c in result.candidates if contradictions(
            c, areas)], village


def test_a_road_through_several_towns_answers_in_the_town_written(conn):
    answer = best(conn, "赵巷镇嘉松中路5369号")
    assert answer.towncode == ZHAOXIANG and "赵巷镇" in answer.formatted_address
    assert "华新镇" not in answer.formatted_address


def test_without_a_town_a_road_through_several_towns_has_several_candidates(conn):
    result = geocode(conn, geocode_request(text="嘉松中路5369号"))
    assert {c.towncode for c in result.candidates} >= {ZHAOXIANG, HUAXIN}


def test_no_one_edit_match_of_a_short_road_name(conn):
    answer = best(conn, "天一路299号")
    assert answer is None or "横一路" not in answer.formatted_address


def test_an_answer_in_another_town_than_written_warns_and_costs(conn):
    plain = best(conn, "华志路559号")
    elsewhere = best(conn, "赵巷镇华志路559号")
    assert elsewhere.code == plain.code == HUAZHI_559
    assert elsewhere.confidence < plain.confidence
    assert any("赵巷镇" in w and "华新镇" in w for w in elsewhere.warnings)
    assert not plain.warnings


def test_city_restricts_the_search(conn):
    assert best(conn, "华志路559号", town_code=HUAXIN).code == HUAZHI_559
    restricted = best(conn, "华志路559号", town_code=ZHAOXIANG)
    assert restricted is None or restricted.towncode == ZHAOXIANG


@pytest.mark.parametrize(("city", "town"), [("赵巷镇", ZHAOXIANG), ("赵巷", ZHAOXIANG),
                                           (ZHAOXIANG, ZHAOXIANG), ("青浦区", None),
                                           ("上海市", None), (None, None)])
def test_city_names_a_town_or_nothing_narrower(city, town):
    assert town_filter(city, QINGPU) == town


def test_city_outside_the_register_is_an_error():
    with pytest.raises(BadRequest):
        town_filter("七宝镇", QINGPU)


def test_reverse_names_no_road_beyond_its_radius(conn):
    far = reverse_geocode(conn, ReverseRequest(121.0, 31.0, radius_m=100))  # open country
    assert far["road"] is None and far["addresses"] == []
    answer = best(conn, "华志路559号")
    near = reverse_geocode(conn, ReverseRequest(answer.lng, answer.lat, radius_m=100))
    assert near["road"]["name"] == "华志路" and near["road"]["distance_m"] <= 100


def test_no_register_address_of_the_sample_answers_against_its_codes(conn):
    """Each register row as the geocoder answers it (a named village moves it there): the
    sample's texts mostly name no town, and a road alone gets one from the road table, but the
    register spells an address with the town its point is in (华纺路399号 lies in 夏阳街道,
    though the road table puts 华纺路 in 香花桥街道)."""
    from address.geocode.results import candidate_from_row, named_village
    from address.geocode.sql import address_rows_by_code

    areas = AreaNames.load(conn)
    codes = [c for (c,) in conn.execute("SELECT code FROM address WHERE valid_to IS NULL")]
    rows = address_rows_by_code(conn, codes=codes)
    assert len(rows) > 800
    answers = [named_village(candidate_from_row(r, "exact", 0.0)) for r in rows]
    assert {a.formatted_address: why for a in answers if (why := contradictions(a, areas))} == {}
