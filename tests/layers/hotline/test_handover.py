"""Hand-over: a complaint about another Shanghai district goes to that district's sub-centre,
one outside Shanghai to that city's hotline; a ticket's address_id places it at that address."""

import pytest

from address.errors import BadRequest
from layers.hotline.handover import city_of, district_of_roads, named_chain, road_districts
from layers.hotline.tickets import TicketRequest, file_ticket, get_ticket, route_text
from tests.district import QINGPU

# every Shanghai district but the home one, as a caller would name it (official or short)
DISTRICTS = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区",
    "310107": "普陀区", "310109": "虹口区", "310110": "杨浦区", "310112": "闵行",
    "310113": "宝山区", "310114": "嘉定区", "310115": "浦东新区", "310116": "金山区",
    "310117": "松江区", "310120": "奉贤区", "310151": "崇明区",
}


@pytest.mark.parametrize(("code", "name"), sorted(DISTRICTS.items()))
def test_every_other_district_is_handed_over(conn, code, name):
    routing = route_text(conn, text=f"来电反映{name}某某路12号门口有人乱倒垃圾", districts=QINGPU,
                         service_code="sanitation")
    assert routing.chain["district"] == code
    district_name = name if name.endswith("区") else name + "区"
    assert routing.assignment.unit == f"转{district_name}12345分中心"
    assert routing.address_text and routing.address_text.startswith(name)


def test_a_road_alone_names_its_district(conn):
    road, code = next((r, c) for r, c in sorted(road_districts().items()) if c == "310115")
    assert district_of_roads(f"{road}88号门口积水") == code
    routing = route_text(conn, text=f"市民反映{road}88号门口积水", districts=QINGPU)
    assert routing.chain == {"district": "310115"}
    assert routing.assignment.unit == "转浦东新区12345分中心"


def test_the_home_district_is_not_handed_over(conn):
    routing = route_text(conn, text="来电反映华新镇华志路559号门口垃圾", districts=QINGPU,
                         service_code="sanitation")
    assert routing.chain["district"] == "310118"
    assert routing.assignment.unit == "华新镇城管中队"


@pytest.mark.parametrize(("text", "city"), [
    ("江苏省昆山市花桥镇绿地大道100号噪音扰民", "苏州市"),
    ("浙江省嘉兴市嘉善县西塘镇某路5号", "嘉兴市"),
    ("北京市朝阳区建国路1号", "北京市"),
])
def test_outside_shanghai_goes_to_that_city(conn, text, city):
    routing = route_text(conn, text=text, districts=QINGPU)
    assert routing.assignment.unit == f"转{city}12345热线"


def test_city_of_a_municipality_is_the_municipality():
    assert city_of("310101") == ("31", "上海市")
    assert city_of("320583") == ("3205", "苏州市")


def test_named_chain_keeps_the_town():
    assert named_chain("浦东新区张江镇碧波路690号") == {"district": "310115",
                                                     "town": "310115125"}


def _an_address(conn):
    return conn.execute(
        "SELECT code, canonical, town_code, community_code, grid_code, ST_X(point), ST_Y(point)"
        " FROM address WHERE valid_to IS NULL AND grid_code IS NOT NULL AND point IS NOT NULL"
        " ORDER BY code LIMIT 1").fetchone()


def test_address_id_places_the_ticket(conn):
    code, canonical, town, community, grid, lng, lat = _an_address(conn)
    req = TicketRequest("sanitation", "门口垃圾没人清理", address_id=code)
    with conn.transaction():
        ticket_id = file_ticket(conn, req=req, districts=QINGPU)
    ticket = get_ticket(conn, ticket_id=ticket_id)
    assert ticket["address_code"] == code and ticket["formatted_address"] == canonical
    assert (ticket["lng"], ticket["lat"]) == pytest.approx((lng, lat))
    chain = ticket["admin_chain"]
    assert (chain["town"]["code"], chain["community"]["code"], chain["grid"]["code"]) == (
        town, community, grid)
    assert ticket["location_source"] == "address"


def test_an_unknown_address_id_is_a_400(conn):
    req = TicketRequest("sanitation", "门口垃圾", address_id="nope")
    with pytest.raises(BadRequest), conn.transaction():
        file_ticket(conn, req=req, districts=QINGPU)
