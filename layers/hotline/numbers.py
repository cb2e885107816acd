"""Recognisers for written identifiers: phones, ID and bank cards, QQ/WeChat IDs, e-mail, plates.

All of them read the shadow (:mod:`layers.hotline.shadow`), so full-width digits and Chinese
numerals count as digits and offsets are those of the original text. A digit run is cut into the
longest sequences of its tokens that form a number; check digits come from python-stdnum (the
ID card's ISO 7064 digit, the bank card's Luhn digit). A run next to an address, date or amount
suffix (559号, 2026年, 1200元) or after a currency sign is a quantity, not a phone number.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum import luhn
from stdnum.cn import ric

from layers.hotline.shadow import Run, digit_runs, next_visible

Span = tuple[str, int, int]  # kind, start, end

_MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:0086|86)?0?(?:(?:10|2\d)[2-9]\d{7}|[3-9]\d{2}[2-9]\d{6,7})")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|-)\s*\d{1,5}(?!\d)", re.I)
_PHONE_CUE = re.compile(r"(电话|座机|固话|号码|联系|手机|tel|拨打|打|致电|热线|办公室)"
                        r"[^，。,;；]{0,5}$", re.I)
_QQ_CUE = re.compile(r"(QQ|扣扣|企鹅号?)[^，。,;；]{0,5}$", re.I)
_WECHAT_CUE = re.compile(r"(微信|薇信|V信|威信|vx|wx|weixin|wechat)[^，。,;；]{0,5}$", re.I)
_WECHAT_ID = re.compile(r"(?:微信|薇信|V信|威信|vx|wx|weixin|wechat)(?:号|ID|id)?[\s:：是为]{0,3}"
                        r"([A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])", re.I)
_EMAIL = re.compile(r"(?<![-._A-Za-z0-9])([A-Za-z0-9][-._%+A-Za-z0-9]{0,63})@"
                    r"[A-Za-z0-9](?:[-A-Za-z0-9]{0,62}\.)+[A-Za-z]{2,10}")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Za-hj-np-z"
_PLATE = re.compile(rf"[{_PROVINCES}][{_L}][·\s]?"
                    rf"((?:[DFdf][{_L}0-9]\d{{4}}|\d{{5}}[DFdf])|[{_L}0-9]{{4}}[{_L}0-9挂学警])"
                    r"(?![A-Za-z0-9])")
# After a digit run these make it a quantity, a door or a date, not a phone number.
_NOT_PHONE_AFTER = frozenset("号弄室栋幢楼层单元组队年月日元块米平户个次人辆天小分秒时点"
                             "岁万千百斤吨度%")
_NOT_PHONE_BEFORE = frozenset("¥￥$第约共")
MAX_DIGITS = 19


def _plausible_birth(text: str) -> bool:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def _id_card(digits: str) -> bool:
    if len(digits) == 18 and digits[0] != "0" and digits[:17].isdigit():
        # a valid check digit, or a birth date that reads as one (a mistyped last digit is
        # still somebody's number)
        return ric.is_valid(digits) or _plausible_birth(digits[6:14])
    if len(digits) == 15 and digits.isdigit() and digits[0] != "0":
        return _plausible_birth("19" + digits[6:12])
    return False


def _bank_card(digits: str) -> bool:
    return 16 <= len(digits) <= 19 and digits.isdigit() and luhn.is_valid(digits)


def _looks_like_date(digits: str) -> bool:
    """20260305: eight digits that read as a date of 1900–2099."""
    if len(digits) != 8 or digits[:2] not in ("19", "20"):
        return False
    month, day = int(digits[4:6]), int(digits[6:8])
    return 1 <= month <= 12 and 1 <= day <= 31


def _local_phone(digits: str, before: str, after: str) -> bool:
    if not _LOCAL.fullmatch(digits) or after in _NOT_PHONE_AFTER:
        return False
    if before[-1:] in _NOT_PHONE_BEFORE:
        return False
    return bool(_PHONE_CUE.search(before)) or not _looks_like_date(digits)


def classify(digits: str, *, before: str = "", after: str = "") -> str | None:
    """The kind of number ``digits`` is (None: not personal), given the text before it and the
    first visible character after it."""
    if _id_card(digits):
        return "id_card"
    if _MOBILE.fullmatch(digits):
        return "mobile"
    if _bank_card(digits):
        return "bank_card"
    if not digits.isdigit():
        return None
    if _QQ_CUE.search(before) and 5 <= len(digits) <= 11:
        return "qq"
    if _WECHAT_CUE.search(before) and 5 <= len(digits) <= 20:
        return "wechat"
    if _LANDLINE.fullmatch(digits) and (digits.startswith("0") or digits.startswith("86")):
        return "landline"
    return "landline" if _local_phone(digits, before, after) else None


def _run_numbers(shadow: str, run: Run) -> list[Span]:
    found: list[Span] = []
    tokens, i = run.tokens, 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):
            digits = run.digits(i, j)
            if len(digits) > MAX_DIGITS + 4 or len(digits) < 5:
                continue
            start, end = tokens[i].start, tokens[j - 1].end
            kind = classify(digits, before=shadow[max(0, start - 12):start],
                            after=_after(shadow, run, j))
            if kind:
                found.append((kind, start, _with_extension(shadow, kind, end)))
                i = j
                break
        else:
            i += 1
    return found


def _after(shadow: str, run: Run, j: int) -> str:
    """What follows tokens[:j]; for 2979693.00元 what follows the decimals."""
    tokens = run.tokens
    if j < len(tokens) and tokens[j].sep_before == "." and len(tokens[j].digits) <= 2:
        return next_visible(shadow, tokens[j].end)
    return next_visible(shadow, tokens[j - 1].end)


def _with_extension(shadow: str, kind: str, end: int) -> int:
    if kind != "landline":
        return end
    m = _EXTENSION.match(shadow, end)
    return m.end() if m else end


def find_numbers(shadow: str) -> list[Span]:
    """Phone, ID-card, bank-card, QQ and numeric WeChat IDs in ``shadow``."""
    found: list[Span] = []
    for run in digit_runs(shadow):
        for span in _run_numbers(shadow, run):
            if not found or span[1] >= found[-1][2]:
                found.append(span)
    return found


def find_handles(shadow: str) -> list[Span]:
    """E-mail addresses (the local part), WeChat IDs and licence plates (the serial)."""
    spans = [("email", m.start(1), m.end(1)) for m in _EMAIL.finditer(shadow)]
    spans += [("wechat", m.start(1), m.end(1)) for m in _WECHAT_ID.finditer(shadow)]
    spans += [("plate", m.start(1), m.end(1)) for m in _PLATE.finditer(shadow)]
    return spans
