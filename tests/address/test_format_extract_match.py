"""format_address / address_key, extract and match."""

from address import address_key, extract, format_address, match, parse


def test_two_spellings_format_and_key_alike() -> None:
    a = parse("上海市浦东新区张杨路五百号")
    b = parse("浦东 张杨路500号")
    assert format_address(a) == format_address(b) == "上海市浦东新区张杨路500号"
    assert address_key(a) == address_key(b) == address_key("上海浦东新区張楊路500號")


def test_format_fills_admin_chain_from_codes() -> None:
    assert format_address(parse("朱家角镇张马村八组")) == "上海市青浦区朱家角镇张马村8组"


def test_different_numbers_have_different_keys() -> None:
    assert address_key("浦东新区张杨路500号") != address_key("浦东新区张杨路501号")


def test_extract_finds_the_address_in_a_complaint() -> None:
    text = "市民来电：我住在青浦区朱家角镇张马村8组，门口路灯坏了三天了，请尽快处理。"
    spans = extract(text)
    assert [s.text for s in spans] == ["青浦区朱家角镇张马村8组"]
    assert text[spans[0].start:spans[0].end] == spans[0].text


def test_extract_issue_example() -> None:
    spans = extract("来电反映华新镇华志路311弄3号楼楼道堆放杂物")
    assert [s.text for s in spans] == ["华新镇华志路311弄3号楼"]


def test_extract_without_admin_names_and_without_address() -> None:
    assert [s.text for s in extract("张杨路500号门口有人摆摊")] == ["张杨路500号"]
    assert extract("今天天气不错") == []


def test_match_labels() -> None:
    same = match("上海市浦东新区张杨路500号", "浦东张杨路五百号")
    assert same.label == "完全匹配"
    assert 0.0 <= same.score <= 1.0
    assert match("浦东新区张杨路500号", "浦东新区张杨路").label == "部分匹配"
    assert match("青浦区朱家角镇张马村8组", "北京市海淀区中关村大街1号").label == "不匹配"
