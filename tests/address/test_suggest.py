"""Suggest over roads, places, towns, villages and addresses: prefix, pinyin, initials, numbers
as numbers, nearest first with a location."""

import pytest

from address.geocode.suggest import _distance, suggest
from tests.district import QINGPU


def texts(conn, q, **kw):
    return [s.text for s in suggest(conn, q=q, districts=QINGPU, **kw)]


@pytest.mark.parametrize(("q", "first"), [("朱家角", "朱家角镇"), ("青浦", "青浦区"),
                                          ("zjj", "朱家角镇"), ("zhujiajiao", "朱家角镇"),
                                          ("张马", "张马村"), ("赵巷", "赵巷镇")])
def test_towns_villages_and_districts_are_suggested(conn, q, first):
    assert texts(conn, q)[0] == first


def test_a_village_committee_reads_as_its_village(conn):
    [village] = [s for s in suggest(conn, q="张马", districts=QINGPU) if s.text == "张马村"]
    assert (village.kind, village.level, village.code) == ("village", "村庄", "310118102232")
    assert village.lng is not None


def test_numbers_are_compared_as_numbers(conn):
    assert texts(conn, "明珠路416")[0].endswith("明珠路416弄")


def test_roads_still_come_by_prefix_and_pinyin(conn):
    assert "朱家角路" in texts(conn, "朱家角")
    assert "华志路" in texts(conn, "huazhi")


def test_nearest_first_with_a_location(conn):
    found = suggest(conn, q="华志路", districts=QINGPU, location=(121.2249, 31.17))
    distances = [_distance(s, (121.2249, 31.17)) for s in found]
    assert len(found) > 1 and distances == sorted(distances)


def test_suggest_over_http_takes_a_location(client):
    body = client.get("/suggest", params={"q": "朱家角", "location": "121.2249,31.17",
                                          "coordsys": "gcj02"}).json()
    assert body["suggestions"] and all("朱家角" in s["formatted_address"]
                                       for s in body["suggestions"])
