"""Tickets: masking, geocoding and routing by the responsibility table, hot spots, re-routing."""

from datetime import UTC, datetime, timedelta

import pytest

from address.errors import BadRequest
from layers.hotline.hotspots import Window, clusters, repeats
from layers.hotline.rules import Rule, decide, load_rules, replace_rules
from layers.hotline.tickets import (
    TicketRequest,
    file_ticket,
    get_ticket,
    original_text,
    reroute,
    route_pending,
)
from tests.district import QINGPU


def _file(conn, text, service_code="sanitation", **kw):
    return get_ticket(conn, ticket_id=file_ticket(
        conn, req=TicketRequest(service_code=service_code, description=text, **kw),
        districts=QINGPU))


def test_a_ticket_is_masked_geocoded_and_routed(conn):
    t = _file(conn, "市民来电反映华徐公路988号门口垃圾堆了好几天，我叫张三，电话13812345678")
    assert t["description"].endswith("我叫张*，电话***********")
    assert t["address_text"] == "华徐公路988号" and t["level"] == "门牌号"
    assert t["formatted_address"] == "上海市青浦区徐泾镇华徐公路988号"
    chain = t["admin_chain"]
    assert chain["town"] == {"code": "310118106", "name": "徐泾镇"}
    assert chain["community"]["code"].startswith("310118106") and chain["grid"]["code"]
    assert t["responsible_unit"] == "徐泾镇城管中队" and t["rule"].startswith("rule ")
    assert "13812345678" in original_text(conn, ticket_id=t["id"])["description"]


def test_area_and_category_pick_the_unit(conn):
    water = _file(conn, "青浦区朱家角镇淀山湖大道边上的下水道堵了", "water")
    assert water["admin_chain"]["town"]["code"] == "310118102"
    assert water["responsible_unit"] == "朱家角镇水务管理站"  # the town's own rule wins
    other_water = _file(conn, "华徐公路988号门口下雨就积水", "water")
    assert other_water["responsible_unit"] == "青浦区水务局"


def test_a_rule_needing_a_community_gives_way():
    rules = [Rule(4, None, "310118", 10, "{town_name}城运中心", ""),
             Rule(14, "property", "310118", 0, "{community_name}", "")]
    town_only = {"district_code": "310118", "district_name": "青浦区",
                 "town_code": "310118107", "town_name": "华新镇"}
    assert decide(rules, service_code="property", values=town_only).unit == "华新镇城运中心"
    with_community = {**town_only, "community_code": "310118107014",
                      "community_name": "凌家村村委会"}
    assert decide(rules, service_code="property", values=with_community).unit == "凌家村村委会"



def test_neighbouring_districts_are_not_routed_into_qingpu(conn):
    t = _file(conn, "松江区九亭镇涞寅路100号晚上施工太吵", "noise")
    assert t["admin_chain"]["town"]["code"] == "310117107"
    assert t["responsible_unit"] == "转松江区12345分中心" and t["formatted_address"] is None


def test_gps_and_text_disagreeing_is_flagged(conn):
    near = _file(conn, "华徐公路988号门口垃圾", lng=121.2607, lat=31.2042)
    assert not near["gps_disagrees"] and near["location_source"] == "text"
    far = _file(conn, "华徐公路988号门口垃圾", lng=121.10, lat=31.15)
    assert far["gps_disagrees"] and far["gps_distance_m"] > 10000
    gps_only = _file(conn, "楼下饭店晚上很吵", "noise", lng=121.2885, lat=31.1695)
    assert gps_only["location_source"] == "gps"
    assert gps_only["admin_chain"]["town"]["code"] == "310118106"


def test_bad_tickets(conn):
    with pytest.raises(BadRequest):
        file_ticket(conn, req=TicketRequest(service_code="nope", description="x"),
                    districts=QINGPU)
    with pytest.raises(BadRequest):
        file_ticket(conn, req=TicketRequest(service_code="other", description="  "),
                    districts=QINGPU)


def test_repeats_and_clusters(conn):
    ids = [_file(conn, f"华徐公路988号门口垃圾第{i}次反映")["id"] for i in range(3)]
    _file(conn, "华徐公路988号旁边的路灯坏了", "road")
    found = repeats(conn, window=Window(days=1), min_count=3)
    assert found and set(ids) <= set(found[0]["ticket_ids"]) and found[0]["count"] == 4
    only_sanitation = repeats(conn, window=Window(days=1, service_code="sanitation"),
                              min_count=3)
    assert only_sanitation[0]["count"] == 3
    geojson = clusters(conn, window=Window(days=1), eps_m=100, min_points=3)
    assert geojson["features"][0]["properties"]["count"] == 4
    past = Window(days=1, end=datetime.now(UTC) - timedelta(days=2))
    assert repeats(conn, window=past) == []


def test_reroute_keeps_the_old_assignment(conn):
    t = _file(conn, "华徐公路988号门口垃圾")
    old_grid = t["admin_chain"]["grid"]["code"]
    conn.execute("DELETE FROM admin_area WHERE code = %s", [old_grid])  # a grid is redrawn away
    rules = [r.as_dict() for r in load_rules(conn)]
    for r in rules:
        if r["service_code"] == "sanitation":
            r["unit"] = "{town_name}综合执法队"
    with conn.transaction():
        replace_rules(conn, rules=rules)
        counts = reroute(conn, since=datetime.now(UTC) - timedelta(hours=1))
    assert counts["rerouted"] >= 1
    after = get_ticket(conn, ticket_id=t["id"])
    assert after["admin_chain"]["grid"]["code"] is None
    assert after["responsible_unit"] == "徐泾镇综合执法队"
    (history,) = after["history"]
    assert history["assignment"]["grid_code"] == old_grid
    assert history["assignment"]["responsible_unit"] == "徐泾镇城管中队"


def test_deferred_tickets_are_routed_later(conn):
    ticket_id = file_ticket(conn, req=TicketRequest(
        service_code="sanitation", description="华徐公路988号门口垃圾，电话13812345678"),
        defer=True, districts=QINGPU)
    pending = get_ticket(conn, ticket_id=ticket_id)
    assert pending["rule"] is None and pending["responsible_unit"] is None
    assert pending["description"].endswith("***********")
    with conn.transaction():
        assert route_pending(conn, limit=1000, districts=QINGPU) >= 1
    routed = get_ticket(conn, ticket_id=ticket_id)
    assert routed["responsible_unit"] == "徐泾镇城管中队" and routed["level"] == "门牌号"
