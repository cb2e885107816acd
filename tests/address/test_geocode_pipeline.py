"""The forward geocoder as a pipeline: request details, the searches it builds and their order,
confidence from penalty, frozen results, and batch geocoding through the same pipeline."""

import dataclasses

import pytest

from address.geocode.batch import geocode_texts
from address.geocode.details import MAX_LIMIT
from address.geocode.forward import build_searches, geocode
from address.geocode.memo import new_memo
from address.geocode.query import read_query
from address.geocode.results import confidence_of
from address.geocode.searches import (
    AreaSearch,
    ChunkKeys,
    ExactSearch,
    InterpolatedSearch,
    NearestCodeSearch,
    PlaceCodeSearch,
    PlaceFallbackSearch,
    RowsByKey,
    SwappedDoorSearch,
)
from address.geocode.sql import address_rows_by_key
from tests.district import QINGPU, geocode_request


def test_request_details_are_clamped_and_frozen():
    assert geocode_request(limit=0).limit == 1
    assert geocode_request(limit=10_000).limit == MAX_LIMIT
    assert geocode_request(parts={"road": "明珠路", "roadno": "416弄"}).query == "明珠路416弄"
    with pytest.raises(dataclasses.FrozenInstanceError):
        geocode_request().limit = 3  # type: ignore[misc]


def test_confidence_comes_from_the_penalty():
    assert confidence_of(0) == 1.0
    assert confidence_of(0.3 + 0.05) == 0.65
    assert confidence_of(2.0) == 0.0


def test_searches_run_cheapest_first():
    readings = read_query(geocode_request(text="青浦区华新镇华志路557号"))
    searches = build_searches(readings, keys=RowsByKey())
    assert [type(s) for s in searches] == [
        ExactSearch, PlaceCodeSearch, SwappedDoorSearch, NearestCodeSearch, InterpolatedSearch,
        PlaceFallbackSearch, AreaSearch, AreaSearch]
    keys = [(s.penalty, s.priority) for s in searches]  # penalty first, then priority
    assert keys == sorted(keys)


def test_only_the_searches_a_query_has_parts_for():
    searches = build_searches(read_query(geocode_request(text="赵巷镇")), keys=RowsByKey())
    assert [type(s) for s in searches] == [ExactSearch, AreaSearch, AreaSearch]


def test_the_whole_text_as_written_is_tried_first():
    readings = read_query(geocode_request(text="来电反映青浦区明珠路416弄门口垃圾很多"))
    assert readings.whole is not None and readings.address.text.endswith("明珠路416弄")
    first, second = build_searches(readings, keys=RowsByKey())[:2]
    assert first.reading is readings.whole and second.reading is readings.address


def test_outside_the_register_has_no_searches_and_a_reason(conn):
    readings = read_query(geocode_request(text="闵行区纪翟路1455弄"))
    assert readings.address.outside == "310112"
    assert build_searches(readings, keys=RowsByKey()) == []
    result = geocode(conn, geocode_request(text="闵行区纪翟路1455弄"))
    assert result.best is None and "outside the register" in (result.reason or "")


@pytest.mark.parametrize("text, match_type, confidence", [
    ("青浦区明珠路416弄", "exact", 1.0),
    ("明朱路416弄", "fuzzy", 0.85),
    ("明珠路416号", "fuzzy", 0.75),
    ("明珠路416弄5号楼", "fallback", 0.65),
    ("华志路557号", "interpolated", 0.6),
    ("华志路", "fallback", 0.45),
    ("赵巷镇", "fallback", 0.2),
])
def test_each_answer_is_the_first_search_that_answers(conn, text, match_type, confidence):
    best = geocode(conn, geocode_request(text=text)).best
    assert best is not None and (best.match_type, best.confidence) == (match_type, confidence)
    assert best.towncode and best.adcode == "310118"  # filled in for points too


def test_results_are_frozen(conn):
    result = geocode(conn, geocode_request(text="青浦区明珠路416弄"))
    assert result.best is not None and result.candidates[0] == result.best
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.best.penalty = 0.5  # type: ignore[misc]


def test_chunk_keys_answer_what_the_single_query_does(conn):
    readings = [read_query(geocode_request(text=t)).address
                for t in ("青浦区明珠路416弄", "华志路559号", "华志路557号", "淀西村")]
    keys = ChunkKeys(conn, readings)
    for r in readings:
        args = {"district": r.district, "address_key": r.form.address_key,
                "local_key": r.form.local_key}
        fetched = sorted(row["code"] for row in keys.rows(conn, **args))
        assert fetched == sorted(row["code"] for row in address_rows_by_key(conn, **args))


def test_a_querys_two_readings_read_what_each_single_query_does(conn):
    readings = read_query(geocode_request(text="来电反映华新镇华志路559号门口垃圾")).all()
    assert len(readings) == 2  # the complaint as written, and the address in it
    keys = ChunkKeys(conn, readings)
    for r in readings:
        args = {"district": r.district, "address_key": r.form.address_key,
                "local_key": r.form.local_key}
        expected = sorted(row["code"] for row in address_rows_by_key(conn, **args))
        assert sorted(row["code"] for row in keys.rows(conn, **args)) == expected
    assert keys.rows(conn, **args)  # the address is in the register


def test_batch_answers_what_a_single_geocode_does(conn):
    texts = ["青浦区明珠路416弄", "胡说八道", "明珠路416号", "华志路557号", "闵行区纪翟路1455弄",
             "来电反映华新镇华志路559号门口垃圾", ""]
    batch = geocode_texts(conn, texts, districts=QINGPU)
    assert batch == [geocode(conn, geocode_request(text=t)) for t in texts]


def test_a_batch_memo_answers_what_single_geocodes_do(conn):
    """Texts that repeat, share a road (the fallback's points by town, the place by name) or
    fall back to an area, in two calls sharing one batch's memo: each row as geocoded alone."""
    texts = ["华志路", "华志路", "华志路559号", "华志路559号1203室", "华志路561号", "明珠路",
             "来电反映华志路门口垃圾", "青浦区明珠路416弄5号楼", "明珠路416号", "华新镇", "淀西村",
             "华志路"]
    memo = new_memo()
    first = geocode_texts(conn, texts[:6], districts=QINGPU, memo=memo)
    second = geocode_texts(conn, texts[6:], districts=QINGPU, memo=memo)
    assert len(memo.shared) > 0 and len(memo.rows) > 0
    assert first + second == [geocode(conn, geocode_request(text=t)) for t in texts]


def test_a_batch_s_answers_last_only_for_it(conn):
    """The next batch (a new memo) reads the register again: a change shows at once."""
    text = "华志路559号"
    before = geocode_texts(conn, [text], districts=QINGPU)[0]
    assert before.best is not None
    with conn.transaction():
        conn.execute("UPDATE address SET point = ST_Translate(point, 0.001, 0) WHERE code = %s"
                     " AND valid_to IS NULL", [before.best.code])
        after = geocode_texts(conn, [text], districts=QINGPU)[0]
        assert after.best is not None and after.best.lng == pytest.approx(before.best.lng + 0.001)
        conn.execute("UPDATE address SET point = ST_Translate(point, -0.001, 0) WHERE code = %s"
                     " AND valid_to IS NULL", [before.best.code])
