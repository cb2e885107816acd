"""normalize / fold: width, variants, Chinese numerals, spacing."""

import pytest

from address import normalize
from address.text.normalize import chinese_to_int, fold


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ大厦１２３号", "ABC大厦123号"),  # 全角 → 半角
        ("青浦區華新鎮 二十三號", "青浦区华新镇23号"),  # 繁体/异体, space, numeral
        ("朱家角镇张马村八组", "朱家角镇张马村8组"),
        ("一〇一室", "101室"),
        ("两百零五弄", "205弄"),
        ("第三层", "3层"),
        ("12#楼", "12号楼"),
        ("b座", "B座"),
        ("三林镇九亭", "三林镇九亭"),  # numerals inside names stay
        ("一百二十三弄", "123弄"),
        ("三林路五洲大道", "三林路五洲大道"),
        ("3幢201房", "3号楼201室"),  # 幢/栋/号楼 and 室/房 aliases
        ("7栋", "7号楼"),
        ("上海市上海市青浦区", "上海市青浦区"),  # repeated prefix
        ("“华新镇”，华志路311弄3号楼。", "华新镇华志路311弄3号楼"),  # punctuation noise
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_fold_keeps_length() -> None:
    text = "上海市　青浦區１２号（东门）"
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(("numeral", "value"), [("十", 10), ("二十三", 23), ("一百零八", 108),
                                                ("一二", 12), ("x", None), ("", None)])
def test_chinese_to_int(numeral: str, value: int | None) -> None:
    assert chinese_to_int(numeral) == value
