"""Masking personal data in complaint text (pure: no database)."""

import pytest

from layers.hotline.mask import fold_digits, mask


@pytest.mark.parametrize("number, kind", [
    ("13812345678", "mobile"),
    ("138-1234-5678", "mobile"),
    ("138 1234 5678", "mobile"),
    ("+86 13812345678", "mobile"),
    ("１３８１２３４５６７８", "mobile"),
    ("021-59701234", "landline"),
    ("(021)59701234", "landline"),
    ("0512-57801234", "landline"),
    ("59701234", "landline"),
    ("31011819800101123X", "id_card"),
    ("310118198001011234", "id_card"),
])
def test_numbers_are_masked_digit_for_digit(number, kind):
    text = f"来电反映华志路559号门口垃圾，联系电话{number}，谢谢"
    result = mask(text)
    start = text.index(number)
    masked = result.text[start:start + len(number)]
    assert all(m == "*" for o, m in zip(fold_digits(number), masked, strict=True) if o.isdigit())
    assert [s.kind for s in result.spans] == [kind]
    assert "华志路559号" in result.text and len(result.text) == len(text)


@pytest.mark.parametrize("text", [
    "华志路559号1203室门口", "盈港东路2646弄64号2118室", "外青松公路5018号3栋",
    "2024年3月5日晚上", "2024-03-05下午", "20240305那天", "3月5号开始", "2023/10/19",
    "罚了2000元", "车牌沪A12345",
])
def test_door_numbers_and_dates_stay(text):
    assert mask(text).text == text


@pytest.mark.parametrize("text, expected", [
    ("我叫张建国，住华志路", "我叫张**，住华志路"),
    ("联系人：李小红 电话", "联系人：李** 电话"),
    ("王先生来电反映", "*先生来电反映"),
    ("我是金泽镇的村民", "我是金泽镇的村民"),  # a place, not a name
    ("我是业主", "我是业主"),
])
def test_names(text, expected):
    assert mask(text).text == expected
