"""Detecting a text file's encoding: UTF-8, UTF-8 with BOM, GB18030; anything else refused."""

import pytest

from address.errors import BadRequest
from address.text.encoding import decode_text

TEXT = "text,lng,lat\n上海市青浦区华志路559号（东门）,121.1,31.1\n“引号”，全角１２\n"


@pytest.mark.parametrize(("codec", "found"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                              ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_detects_what_excel_and_everyone_else_write(codec, found):
    decoded = decode_text(TEXT.encode(codec))
    assert decoded.text == TEXT and decoded.encoding == found


@pytest.mark.parametrize("data", ["Müller straße café".encode("latin-1"),
                                  "id,text\n1,Müller\n".encode("latin-1"),
                                  TEXT.encode("utf-16"), bytes(range(256)),
                                  b"\xef\xbb\xbf" + "华志路".encode("gbk")])
def test_other_bytes_are_a_clear_error(data):
    with pytest.raises(BadRequest, match="UTF-8"):
        decode_text(data, what="x.csv")


def test_a_declared_encoding_is_used_or_refused():
    assert decode_text("华志路".encode("gbk"), encoding="gbk").text == "华志路"
    with pytest.raises(BadRequest, match="not utf-8"):
        decode_text("华志路".encode("gbk"), encoding="utf-8")
    with pytest.raises(BadRequest):
        decode_text(b"abc", encoding="no-such-codec")
