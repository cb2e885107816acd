"""parse: spans on the original text, admin codes, and the cases from the issue."""

import json

from address import parse


def _labels(text: str) -> dict[str, str]:
    return {s.label: s.text for s in parse(text).spans}


def test_spans_point_into_original_text() -> None:
    text = "上海市青浦区華新鎮華騰路１２８８號"
    parsed = parse(text)
    assert parsed.spans
    for span in parsed.spans:
        assert text[span.start:span.end] == span.text


def test_pudong_short_name_resolves_to_pudong_new_area() -> None:
    parsed = parse("浦东张杨路500号")
    assert parsed.codes["district"] == "310115"
    assert parsed.components["road"] == "张杨路"


def test_shaanxi_south_road_is_a_road_in_huangpu() -> None:
    parsed = parse("黄浦区陕西南路")
    assert parsed.components.get("road") == "陕西南路"
    assert "prov" not in parsed.codes or parsed.codes["prov"] == "31"
    assert parsed.codes["district"] == "310101"


def test_roads_named_after_provinces_stay_roads() -> None:
    for text, road in [("上海陕西南路100号", "陕西南路"), ("上海市北京东路1号", "北京东路"),
                       ("重庆南路88号", "重庆南路")]:
        parsed = parse(text)
        assert parsed.components.get("road") == road, parsed.spans
        assert parsed.codes.get("prov", "31") == "31"


def test_chongqing_road_in_beihai_is_not_chongqing() -> None:
    parsed = parse("北海市重庆路")
    assert parsed.codes["city"] == "4505"
    assert parsed.codes["prov"] == "45"
    assert parsed.components.get("road") == "重庆路"


def test_qingpu_industrial_park_is_a_devzone() -> None:
    parsed = parse("青浦工业园区")
    assert parsed.components == {"devzone": "青浦工业园区"}
    assert parsed.codes.get("district") == "310118"


def test_village_group_with_community_code() -> None:
    parsed = parse("朱家角镇张马村8组")
    assert parsed.components["town"] == "朱家角镇"
    assert parsed.components["community"] == "张马村"
    assert parsed.components["village_group"] == "8组"
    assert parsed.codes["town"] == "310118102"
    assert parsed.codes["community"] == "310118102232"
    assert parsed.codes["district"] == "310118"


def test_to_dict_is_json_ready() -> None:
    data = parse("上海市青浦区华新镇华腾路1288号3幢201室").to_dict()
    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert again["codes"]["district"] == "310118"
    assert again["components"]["roomno"] == "201室"


def test_empty_input() -> None:
    parsed = parse("")
    assert parsed.spans == [] and parsed.codes == {} and parsed.components == {}


def test_renamed_units_resolve_to_current_codes() -> None:
    assert parse("上海市闸北区天目西路").codes["district"] == "310106"  # now 静安区
    assert parse("青浦区商榻镇").codes["town"] == "310118104"  # merged into 金泽镇


def test_parse_is_thread_safe() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from address.parse.parser import clear_cache, parse_reference

    texts = [f"上海市青浦区华新镇华腾路{n}号{n % 7}幢" for n in range(1, 400)]
    clear_cache()
    with ThreadPoolExecutor(8) as pool:
        threaded = list(pool.map(lambda t: parse(t).to_dict(), texts))
    assert threaded == [parse_reference(t).to_dict() for t in texts]


def _reference_texts() -> list[str]:
    import csv
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with (root / "data/sample/qingpu_addresses_covid2022_amap.csv").open(encoding="utf-8") as fh:
        texts = [row["address"] for row in csv.DictReader(fh)]
    with (root / "tests/data/hotline_complaints.csv").open(encoding="utf-8") as fh:
        texts += [row["text"] for row in csv.DictReader(fh)]
    return [*texts, "上海市青浦区华新镇华腾路1288号3幢201室", "", "朱家角镇张马村8组", "😀", " \t ",
            "浦东张杨路500号", "上海陕西南路100号", "朱家角镇张马村8组", "上 海 市 青 浦 区",
            "上海市青浦区华新镇华腾路1288号" * 40, "青浦工业园区崧泽大道", *_FAMILIES,
            "华志路559号3单元ab", "华志路559号3幢A单元", "华志路559号3幢12楼-1", "上海市😀",
            "★", "华志路五百五十九", "上海市青浦区三门路五号", "临汾路三七五弄居委会"]


# Each family of writing issue 14 names: (text, components parse must find).
_FAMILY_CASES = [
    ("华志路五百五十九号", {"road": "华志路", "roadno": "559号"}),
    ("上海市青浦区华志路二十号", {"road": "华志路", "roadno": "20号"}),
    ("华志路559号五号楼三单元十二层一零二室",
     {"houseno": "5号楼", "cellno": "3单元", "floorno": "12层", "roomno": "102室"}),
    ("重固镇福泉山路18号3幢2单元501室",
     {"road": "福泉山路", "roadno": "18号", "houseno": "3号楼", "cellno": "2单元",
      "roomno": "501室"}),
    ("华志路559号5号楼3单元1201室", {"houseno": "5号楼", "cellno": "3单元", "roomno": "1201室"}),
    ("上海市青浦区徐泾镇崧泽大道3号2栋3单元12层1201室",
     {"houseno": "2号楼", "cellno": "3单元", "floorno": "12层", "roomno": "1201室"}),
    ("上海市★青浦区华志路559号", {"city": "上海市", "district": "青浦区", "road": "华志路"}),
    ("🏠上海市青浦区华志路559号😀", {"city": "上海市", "road": "华志路", "roadno": "559号"}),
    ("上海市青浦区三门路100号", {"road": "三门路", "roadno": "100号"}),
]
_FAMILIES = [text for text, _ in _FAMILY_CASES]

# Admin chains written short (address.parse.prefix) and what must stay as it is.
_CHAIN_CASES = [
    ("上海青浦华新华志路559号",  # a bare 上海 is prov or city (CCKS train: prov 27, city 2)
     {"district": "青浦", "town": "华新", "road": "华志路", "roadno": "559号"}),
    ("青浦华新华志路559号", {"district": "青浦", "town": "华新", "road": "华志路"}),
    ("青浦华新镇华志路559号", {"district": "青浦", "town": "华新镇", "road": "华志路"}),
    ("上海青浦重固福泉山路18号", {"district": "青浦", "town": "重固", "road": "福泉山路"}),
    ("上海青浦徐泾崧泽大道3号", {"town": "徐泾", "road": "崧泽大道"}),  # a known road splits
    ("青浦朱家角张马村8组", {"town": "朱家角", "community": "张马村"}),
    ("青浦华新路1号", {"district": "青浦", "road": "华新路"}),  # a road named after the town
]
_CHAIN_KEPT = [  # a name that only starts with a place's, or a level skipped: the tagger's
    ("福建省厦门市集美区杏林湾路0000号", "road", "杏林湾路"),
    ("江苏省宿迁市宿城区双庄汽配城", "poi", "双庄汽配城"),
    ("浙江省常山县东案乡后宅村000号", "poi", "东案乡"),
]
_FAMILIES += [text for text, _ in _CHAIN_CASES] + [text for text, _, _ in _CHAIN_KEPT]


def test_compiled_parse_equals_reference() -> None:
    """The compiled kernel computes what parse_reference states, on real text and edge cases."""
    from address import parse_many
    from address.parse.parser import parse_reference

    texts = _reference_texts()
    assert len(texts) > 1000
    assert [p.to_dict() for p in parse_many(texts)] == [parse_reference(t).to_dict() for t in texts]
    assert [parse(t).to_dict() for t in texts[:50]] == [parse_reference(t).to_dict()
                                                         for t in texts[:50]]


def test_batch_rows_and_codes() -> None:
    from address.parse.parser import parse_batch
    from address.parse.tagger import LABELS

    batch = parse_batch(["朱家角镇张马村8组", "浦东张杨路500号", "朱家角镇张马村8组"])
    assert len(batch) == 3 and batch[-1].to_dict() == batch[0].to_dict()
    assert [LABELS[label] for label, _, _ in batch.rows(1)][:2] == ["district", "road"]
    assert batch.codes(1)["district"] == "310115"
    assert [p.text for p in batch[0:2]] == ["朱家角镇张马村8组", "浦东张杨路500号"]


def test_prepare_fills_the_cache_parse_reads() -> None:
    from address.parse.parser import _CACHE, clear_cache, prepare

    clear_cache()
    prepare(["朱家角镇张马村8组", "浦东张杨路500号", "朱家角镇张马村8组"])
    assert set(_CACHE) == {"朱家角镇张马村8组", "浦东张杨路500号"}
    first, again = parse("浦东张杨路500号"), parse("浦东张杨路500号")
    assert first == again and first is not again and first.codes is not again.codes


def test_more_admin_mentions_than_the_kernel_holds() -> None:
    """Past 64 admin mentions the Python resolver takes over, with the same answer."""
    from address.parse.parser import clear_cache, parse_batch, parse_reference

    text = "上海市青浦区华新镇" * 30
    clear_cache()
    assert parse_batch([text, "浦东"]).codes(0) == parse_reference(text).codes
    assert parse(text).to_dict() == parse_reference(text).to_dict()


def test_viterbi_is_exact_whatever_its_source_terms() -> None:
    """The source terms only decide how often a full max runs: zeros, random ones and the
    shipped fitted ones give the same parse."""
    from dataclasses import replace

    import numpy as np

    from address.parse import tagger
    from address.parse.compiled.run import run_with, tables
    from address.parse.compiled.terms import split_transitions

    texts = _reference_texts()
    shipped = tables(str(tagger.MODEL))
    trans = shipped.arrays.transitions.trans
    expected = run_with(texts, shipped)
    for r in (np.zeros(len(trans)), np.random.default_rng(7).normal(0, 3, len(trans))):
        arrays = shipped.arrays._replace(transitions=split_transitions(trans, r))
        got = run_with(texts, replace(shipped, arrays=arrays))
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))


def test_shipped_source_terms_fit_the_shipped_model() -> None:
    """address.training.train writes the terms with the model (a retrain without them: slow)."""
    import hashlib
    import json

    from address.parse import tagger
    from address.parse.compiled.terms import source_terms_path

    saved = json.loads(source_terms_path(tagger.MODEL).read_text(encoding="utf-8"))
    assert saved["model_sha256"] == hashlib.sha256(tagger.MODEL.read_bytes()).hexdigest()
    assert any(saved["r"].values())


def test_compiled_cache_is_stamped_with_the_whole_package() -> None:
    """numba checks only a function's own file when it loads it from its cache; the package's
    locator makes an edit to any stage module recompile what calls into it."""
    from address.parse.compiled import batch, cache

    locator = batch.parse_all._cache._impl.locator
    assert locator.get_source_stamp() == cache.package_stamp()


def test_text_order_sorts_by_code_point() -> None:
    """The kernel's multikey quicksort: a permutation that sorts, with repeats, prefixes of
    one another, empty texts and runs long enough to partition."""
    import random

    import numpy as np

    from address.parse.compiled.order import text_order

    rng = random.Random(3)
    texts = ["", "", "上海", "上海市", "上海市青浦区", "上海市青浦区", "a", "上"]
    texts += ["".join(rng.choice("上海市青浦区华新镇12") for _ in range(rng.randrange(12)))
              for _ in range(500)]
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    starts = np.cumsum([0] + [len(t) for t in texts]).astype(np.int64)
    order = text_order(cps, starts).tolist()
    assert sorted(order) == list(range(len(texts)))
    assert [texts[i] for i in order] == sorted(texts)


def test_batch_takes_strings_only() -> None:
    import pytest

    from address.parse.parser import parse_batch

    for bad in (["上海", 3], ["上海", b"x"], [None]):
        with pytest.raises(TypeError, match="takes strings"):
            parse_batch(bad)  # type: ignore[list-item]
    assert len(parse_batch(iter(["上海", "青浦" * 2000]))) == 2  # any iterable; long ones cut


def test_families_of_writing_parse_as_their_plain_form() -> None:
    """Chinese-numeral numbers, unit/floor/room after a building, symbols and emoji (issue 14):
    the components, the same from the compiled path and from parse_reference."""
    from address.parse.parser import parse_reference

    for text, expected in _FAMILY_CASES:
        got = parse(text)
        assert {k: got.components.get(k) for k in expected} == expected, text
        assert got.to_dict() == parse_reference(text).to_dict(), text


def test_symbols_stay_outside_every_span() -> None:
    from address.text.normalize import is_symbol

    for text in ("上海市★青浦区华志路559号", "😀上海市青浦区华志路559号🏠", "华志路559号™"):
        for span in parse(text).spans:
            assert not is_symbol(span.text[0]) and not is_symbol(span.text[-1]), (text, span)


def test_two_spellings_share_an_address_key() -> None:
    from address import address_key

    families = [
        ("上海市青浦区华志路五百五十九号", "青浦区华志路559号"),
        ("上海市青浦区华志路559号3幢201室", "青浦区华志路559号3号楼201室"),
        ("上海市青浦区华志路559号三号楼二单元五零一室", "上海市青浦区华志路559号3栋2单元501室"),
        ("上海市青浦区华志路５５９号", "上海市青浦区华志路559号😀"),
    ]
    for a, b in families:
        assert address_key(a) == address_key(b), (a, b)
    assert address_key("青浦区华志路559号") != address_key("青浦区华志路558号")


def test_admin_chains_written_short() -> None:
    for text, want in _CHAIN_CASES:
        got = _labels(text)
        assert {label: got.get(label) for label in want} == want, (text, got)
    for text, label, name in _CHAIN_KEPT:
        assert _labels(text).get(label) == name, (text, parse(text).spans)
    assert parse("上海青浦华新华志路559号").codes["town"] == "310118107"


def test_a_road_of_the_district_gives_its_town() -> None:
    assert parse("华志路559号").codes == {"prov": "31", "city": "3101", "district": "310118",
                                         "town": "310118107"}
    assert parse("青浦区福泉山路18号").codes["town"] == "310118109"
    assert "town" not in parse("黄浦区华志路1号").codes  # not that district's road
    assert "town" not in parse("崧泽大道3号").codes  # runs through two towns: no guess


def _chain(text: str, rows: list[tuple[str, int, int]], codes: dict[str, str],
           ) -> tuple[list[tuple[str, str]], str] | None:
    from address.parse import prefix
    from address.parse.tagger import LABELS

    read = prefix.read_chain(text, [(LABELS.index(lb), a, b) for lb, a, b in rows], codes)
    if read is None:
        return None
    return [(LABELS[lb], text[a:b]) for lb, a, b in read[0]], read[1]


def test_the_chain_rule_reads_past_what_the_tagger_got_wrong() -> None:
    """Whatever the model: 上海 labelled a province still chains to its districts (a
    municipality's city level is no place people write), and one name alone chains when a road
    named after a division inside it follows, but not before a road of its own name."""
    assert _chain("上海青浦华新华志路559号",
                  [("prov", 0, 2), ("poi", 2, 5), ("road", 5, 9), ("roadno", 9, 13)],
                  {"prov": "31"}) == (
        [("prov", "上海"), ("district", "青浦"), ("town", "华新"), ("road", "华志路"),
         ("roadno", "559号")], "310118107")
    assert _chain("青浦华新路1号", [("road", 0, 5), ("roadno", 5, 7)], {}) == (
        [("district", "青浦"), ("road", "华新路"), ("roadno", "1号")], "310118")
    assert _chain("青浦路1号", [("road", 0, 3), ("roadno", 3, 5)], {}) is None
    assert _chain("青浦小吃店", [("poi", 0, 5)], {}) is None
