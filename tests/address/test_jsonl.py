"""address.parse.jsonl: the JSON lines ``dizhi parse`` writes are json.dumps of to_dict(), byte
for byte; normalize_many is normalize text by text."""

import json
from itertools import pairwise

import pytest

from address.parse.jsonl import json_lines
from address.parse.parser import parse_batch
from address.text.normalize import normalize, normalize_many
from tests.address.test_parse import _reference_texts

ODD = ['"引号"\\反斜杠', "制表\t符\x01\x1f\x7f", "\r\n\b\f", "😀上海市青浦区华志路五百五十九号😀",
       "上海1号", "上海2号", "上海１号", "上海市上海市青浦区", "a\0b", "華新鎮華騰路１２８８號",
       "", "   ", "上海市青浦区华新镇华腾路1288号" * 60]


def _plain(texts: list[str]) -> bytes:
    return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n"
                   for p in parse_batch(texts)).encode()


def test_json_lines_equal_json_dumps_of_each_parse() -> None:
    texts = [*_reference_texts(), *ODD, *ODD]  # repeats: texts that share the kernel's rows
    assert json_lines(parse_batch(texts)) == _plain(texts)


def test_json_lines_of_nothing_and_of_a_lone_surrogate() -> None:
    assert json_lines(parse_batch([])) == b""
    with pytest.raises(UnicodeEncodeError):  # as json.dumps(…).encode() would
        json_lines(parse_batch(["上海\udc80市"]))


def test_normalize_many_is_normalize_of_each() -> None:
    texts = [*_reference_texts(), *ODD, "3幢201房", "二十三号楼", "12#", "房", "#", "a--b",
             "x\ny", "Abc区abc区", "青浦区\0青浦区"]
    joined = [a[-3:] + b[:4] for a, b in pairwise(texts)]  # odd boundaries
    for group in (texts, joined, [], [""], ["", ""]):
        assert normalize_many(group) == [normalize(t) for t in group]
