"""Nothing in the pure core raises on odd input."""

from hypothesis import given, settings
from hypothesis import strategies as st

from address import address_key, extract, format_address, match, normalize, parse
from api.cli.parse_io import parse_lines

ODD = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789０１２３", max_size=40),
    st.text(alphabet="😀🏠🚧\u200b\ufeff\u3000 \t", max_size=30),
    st.text(alphabet="省市区县镇路号楼室组村一二三十百", max_size=60),
)


@settings(max_examples=150, deadline=None)
@given(ODD)
def test_never_raises(text: str) -> None:
    parsed = parse(text)
    for span in parsed.spans:
        assert text[span.start:span.end] == span.text
    format_address(parsed)
    address_key(parsed)
    normalize(text)
    extract(text)
    assert match(text, "上海市青浦区").label in ("完全匹配", "部分匹配", "不匹配")
    assert len(list(parse_lines([text]))) == 1


ADDRESSISH = st.text(alphabet="上海市青浦区华新镇张马村8组华腾路128号3幢201室 浦东陕西南路工业园",
                     max_size=300)


@settings(max_examples=200, deadline=None)
@given(st.one_of(ODD, ADDRESSISH))
def test_compiled_parse_equals_reference(text: str) -> None:
    from address.parse.parser import parse_reference

    assert parse(text).to_dict() == parse_reference(text).to_dict()


def test_lone_surrogate() -> None:
    """Text decoded with errors="surrogateescape" (python-crfsuite cannot take it)."""
    parsed = parse("\udce4上海市青浦区华新镇")
    assert parsed.codes.get("town") == "310118107"
    assert parsed.spans[0].start >= 1


def test_very_long_input() -> None:
    text = "上海市青浦区华新镇华腾路1288号" * 2000
    parsed = parse(text)
    assert parsed.spans
    assert extract(text)
    assert len(list(parse_lines([text], conll=True))) == 1
