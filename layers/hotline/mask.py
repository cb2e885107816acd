"""Personal data in complaint text: mobile and fixed-line numbers, ID-card numbers, names.

Matching runs on a copy whose full-width digits and letters are folded to ASCII one character for
one character, so offsets are those of the original text and the mask is applied to it. Digits of
a number become ``*`` (separators stay, so the shape of the text is kept); a name keeps its
surname (张**), a surname before an honorific is masked (*先生). Door numbers (559号, 1203室) and
dates (2024年3月5日, 2024-03-05, 20240305) are left alone: a digit run next to an address or date
suffix is not a phone number.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_FOLD = {**{chr(0xFF10 + i): str(i) for i in range(10)},
         **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
         **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
         "\uff0d": "-", "\u3000": " ", "\uff08": "(", "\uff09": ")", "\uff0b": "+"}
_TABLE = str.maketrans(_FOLD)

_ID = re.compile(r"(?<![0-9A-Za-z])(?:[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])"
                 r"(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]|[1-9]\d{14})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(?:\(?0\d{2,3}\)?[- ]?)?[2-9]\d{3}[- ]?\d{3,4}"
                       r"(?:(?:转|-)\d{1,5})?(?![0-9])")
_LANDLINE_CUE = re.compile(r"(电话|座机|固话|号码|联系|tel|Tel|TEL|拨打|打)[^，。,;；]{0,4}$")
# After a digit run these make it a quantity, a door or a date, not a phone number.
_NOT_PHONE_AFTER = tuple("号弄室栋幢楼层单元组队年月日元块米平户个次人辆天小分号")

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常葛倪殷柏施闵钮盛俞诸费"
)
_NAME_CUE = re.compile(r"(我叫|我是|本人|名叫|叫做|姓名|联系人|来电人|报件人|反映人|投诉人|户主|"
                       r"房东|业主|租户|邻居|找)[:：是为 ]?")
_HONORIFIC = re.compile(r"([" + "".join(sorted(SURNAMES)) + r"])"
                        r"(先生|女士|小姐|阿姨|师傅|大爷|大妈|阿婆|老伯|老师|同志|经理|老板)")
# A name stops before these; a place suffix right after means it was a place (金泽镇), not a name.
_NAME_STOP = set("的在住家反投来说要是和与电先女阿师老，。,、；;：: 0123456789")
_PLACE_AFTER = set("镇村路区街道港浜泾桥弄号巷湾苑园城庄宅塘浦桥湖山")


@dataclass(frozen=True)
class Masked:
    kind: str  # mobile | landline | id_card | name
    start: int
    end: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MaskResult:
    text: str
    spans: list[Masked]


def fold_digits(text: str) -> str:
    """Full-width digits, letters and a few signs as ASCII; same length as ``text``."""
    return text.translate(_TABLE)


def _free(taken: list[Masked], start: int, end: int) -> bool:
    return all(end <= m.start or start >= m.end for m in taken)


def _numbers(folded: str) -> list[Masked]:
    found: list[Masked] = []
    for kind, pattern in (("id_card", _ID), ("mobile", _MOBILE), ("landline", _LANDLINE)):
        for m in pattern.finditer(folded):
            if _free(found, m.start(), m.end()) and _is_phone(kind, folded, m):
                found.append(Masked(kind, m.start(), m.end()))
    return found


def _is_phone(kind: str, folded: str, m: re.Match[str]) -> bool:
    if kind != "landline":
        return True
    digits = re.sub(r"\D", "", m.group(0))
    if folded[m.end():m.end() + 1] in _NOT_PHONE_AFTER and folded[m.end():m.end() + 1]:
        return False
    cue = bool(_LANDLINE_CUE.search(folded[max(0, m.start() - 8):m.start()]))
    area = m.group(0).lstrip("(").startswith("0")
    return area or cue or not _looks_like_date(digits)


def _looks_like_date(digits: str) -> bool:
    """20240305: eight digits that read as a date of 1900–2099."""
    if len(digits) != 8 or digits[:2] not in ("19", "20"):
        return False
    month, day = int(digits[4:6]), int(digits[6:8])
    return 1 <= month <= 12 and 1 <= day <= 31


def _given_name(text: str, start: int) -> int:
    """End of a name whose surname is at ``start`` (== start when it is not one)."""
    if text[start:start + 1] not in SURNAMES:
        return start
    end = start + 1
    while end < len(text) and end - start < 3 and text[end] not in _NAME_STOP \
            and "\u4e00" <= text[end] <= "\u9fff":
        if text[end] in _PLACE_AFTER:  # 金泽镇, 张马村: a place
            return start
        end += 1
    if end - start < 2 or text[end:end + 1] in _PLACE_AFTER:
        return start
    return end


def _names(text: str, taken: list[Masked]) -> list[Masked]:
    found: list[Masked] = []
    for m in _NAME_CUE.finditer(text):
        end = _given_name(text, m.end())
        if end > m.end() and _free(taken + found, m.end(), end):
            found.append(Masked("name", m.end(), end))
    for m in _HONORIFIC.finditer(text):
        if _free(taken + found, m.start(1), m.end(1)):
            found.append(Masked("name", m.start(1), m.end(1)))
    return found


def _apply(text: str, spans: list[Masked]) -> str:
    chars = list(text)
    for span in spans:
        for i in range(span.start, span.end):
            if span.kind != "name":
                if chars[i].isdigit() or chars[i] in "Xx" or fold_digits(chars[i]).isdigit():
                    chars[i] = "*"
            elif span.end - span.start == 1 or i > span.start:
                chars[i] = "*"
    return "".join(chars)


def mask(text: str) -> MaskResult:
    """The text with personal data masked, and what was masked where."""
    folded = fold_digits(text)
    spans = _numbers(folded)
    spans += _names(text, spans)
    spans.sort(key=lambda s: s.start)
    return MaskResult(_apply(text, spans), spans)
