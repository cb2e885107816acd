"""Masking personal data in complaint text (pure: no database)."""

import pytest

from layers.hotline.mask import KINDS, fold_digits, mask


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
    "罚了2000元", "15:30到16:45", "2026.03.05", "¥3,500", "3500.00元", "5万元",
    "2026-03-05 15:30", "2979693.00元", "3号楼2单元1502室", "练塘镇章练塘路", "周边居民反映",
    "小区保安说", "老人家", "小区里", "我是金泽镇的村民",
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


@pytest.mark.parametrize("text, kind", [
    ("电话1 3 9 0 0 0 0 2 2 2 2，", "mobile"),
    ("手机幺三九零零零零二二二二", "mobile"),
    ("手机一三八两两两两六六六六", "mobile"),
    ("139.0000.2222", "mobile"),
    ("0086 139 0000 2222", "mobile"),
    ("座机021-5970 1234转808", "landline"),
    ("0512-57801234-66", "landline"),
    ("身份证310118 19800101 123X", "id_card"),
    ("身份证１１０１０１１９９００３０７４４７７", "id_card"),
    ("旧身份证110101900307447", "id_card"),
    ("卡号6222 0212 3456 7890 128", "bank_card"),
    ("QQ号 12345678", "qq"),
    ("微信 13900002222", "mobile"),
])
def test_numbers_in_every_written_form(text, kind):
    result = mask(text)
    assert [s.kind for s in result.spans] == [kind]
    assert not any(c.isdigit() for c in fold_digits(result.text[result.spans[0].start:]))


@pytest.mark.parametrize("text, expected", [
    ("邮箱zhang.san@163.com", "邮箱*********@163.com"),
    ("微信号wxid_abc123", "微信号***********"),
    ("车牌沪A12345", "车牌沪A*****"),
    ("新能源沪AD12345和沪A12345F", "新能源沪A******和沪A******"),
    ("市民张建国反映", "市民张**反映"),
    ("居民王芳称楼上漏水", "居民王*称楼上漏水"),
    ("来电者欧阳明来电", "来电者欧阳*来电"),
    ("联系人：司马相如", "联系人：司马**"),
    ("业主上官婉儿投诉", "业主上官**投诉"),
    ("江德海称", "江**称"),
    ("老王说", "老*说"),
    ("欧阳女士", "**女士"),
    ("本人姓王，", "本人姓*，"),
    ("姓名：艾力江", "姓名：艾**"),
])
def test_handles_and_names(text, expected):
    assert mask(text).text == expected


def test_kinds_are_listed():
    assert {s.kind for s in mask("张先生13900002222 a@b.cn 沪A12345").spans} <= set(KINDS)
