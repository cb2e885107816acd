"""Text normalization: 全角/半角, 异体字/繁体, 中文数字 in house numbers, punctuation and spacing.

Two levels. :func:`fold` maps character for character (same length), so offsets found on the folded
text are offsets into the original; the parser relies on that. :func:`normalize` also rewrites
numbers and drops spaces, which changes length; it is for canonical text and keys.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

from address.resources import DATA_DIR

# Variant forms seen in address text → the standard form (1:1); the full 繁体 → 简体 table is
# address/data/variants.json (see address.training.build_gazetteer).
_VARIANTS = (
    "號号 樓楼 層层 區区 縣县 鎮镇 鄉乡 條条 園园 東东 門门 單单 棟栋 莊庄 廣广 國国 華华 灣湾 "
    "溝沟 橋桥 車车 場场 廠厂 館馆 衛卫 會会 蘇苏 龍龙 陽阳 陰阴 豐丰 張张 馬马 嶺岭 巿市 衖弄 "
    "邨村 圍围 濱滨 灘滩 寶宝 興兴 開开 發发 業业 學学 醫医 〇零"
)


def _load_variants() -> dict[str, str]:
    """The packaged 繁体 → 简体 table; empty until address.training.build_gazetteer made it."""
    path = DATA_DIR / "variants.json"
    if not path.exists():
        return {}
    table: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return table


_FOLD: dict[int, str] = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({ord(k): v for k, v in _load_variants().items()})
_FOLD[0x3000] = " "
_FOLD.update({ord(p[0]): p[1] for p in _VARIANTS.split() if p[0] != p[1]})
_FOLD.update({ord(c): "-" for c in "－—–‐‑‒―~～"})
_FOLD.update({ord("＃"): "#", ord("（"): "(", ord("）"): ")", ord("，"): ",", ord("："): ":"})
_FOLD_TABLE = str.maketrans(_FOLD)

# For CRF features: also every digit → 0 (CCKS masks all digits) and letters → lower case.
_FEATURE_TABLE = str.maketrans(
    {**_FOLD, **{ord(d): "0" for d in "123456789"},
     **{ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
     **{cp: chr(cp - 0xFEE0).lower() for cp in range(0xFF21, 0xFF3B)},
     **{cp: "0" for cp in range(0xFF10, 0xFF1A)}}
)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# Chinese numerals are only rewritten before a unit that counts something, so 三林镇 and 九亭
# stay names; 第 is optional (第三层 → 3层). Not before 门: 三门路 is a name.
_NUMERALS = "[零〇一二两三四五六七八九十百千]+"
_CN_NUMBER = re.compile(
    rf"第?({_NUMERALS})(?=(号楼|号|弄|支弄|栋|幢|座|单元|层|楼|室|户|组|队|巷|排))"
)
# The numbers of a door, building, unit, floor or room, which the tagger reads as digits; not
# 弄 and the like, which Shanghai's 居委会 names write in Chinese numerals (临汾路三七五弄).
_DOOR_NUMBER = re.compile(rf"{_NUMERALS}(?=号|栋|幢|单元|层|楼|室)")
_SPACES = re.compile(r"\s+")
_HASH = re.compile(r"(?<=\d)#")
# 楼栋 is written 幢, 栋 or 号楼 and a room 室 or 房; the standard text uses 号楼 and 室.
_BUILDING = re.compile(r"(?<=\d)(?:幢|栋)")
_ROOM = re.compile(r"(?<=\d)房(?!间)")
_NOISE = re.compile(r"[\"'“”‘’【】《》「」『』<>!！?？。，,、;；:：*~^`|]+")
_DASHES = re.compile(r"-{2,}")
# 上海市上海市青浦区: a pasted or concatenated prefix repeats; keep one copy.
_REPEATED_PATTERN = r"(.{2,9}?(?:省|市|自治区|区|县|镇|乡|街道))\1+"
_REPEATED = re.compile(_REPEATED_PATTERN)
# normalize_many runs the steps over its texts joined by NUL; no step's match crosses a NUL
# (none matches one, lookarounds see it as they see an end), once this one's `.` skips it.
_REPEATED_JOINED = re.compile(_REPEATED_PATTERN.replace(".", "[^\0]"))


def fold(text: str) -> str:
    """Same-length fold: full-width → half-width, variant/traditional → standard characters."""
    if len(text) < _GATHER_FROM:
        return text.translate(_FOLD_TABLE)
    import numpy as np  # a batch's texts joined: one gather is a tenth of translate's time

    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _fold_gather()[cps].tobytes().decode("utf-32-le", "surrogatepass")


_GATHER_FROM = 20_000  # characters


@lru_cache(maxsize=1)
def _fold_gather() -> Any:
    """The fold as an array: code point → folded code point (the fold is one to one)."""
    import numpy as np

    table = np.arange(0x110000, dtype=np.uint32)
    for cp, folded in _FOLD.items():
        table[cp] = ord(folded)
    return table


def number_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` writes a door, building, unit, floor or room number in Chinese numerals
    (五百五十九号, 五号楼, 三单元, 十二层, 一零二室)."""
    return [m.span() for m in _DOOR_NUMBER.finditer(text)]


def number_fold(text: str) -> str:
    """Same-length: the numerals of :func:`number_spans` → 0, so the parser reads 五百五十九号
    as it reads 559号 (the tagger's features fold every digit to 0)."""
    for start, end in number_spans(text):
        text = text[:start] + "0" * (end - start) + text[end:]
    return text


_SYMBOLS = frozenset({"So", "Sk", "Sm", "Sc", "Cf", "Cs", "Co", "Cn"})


def is_symbol(ch: str) -> bool:
    """A symbol, emoji or format character (★, 😀, ™, ＋, a variation selector, ZWJ)."""
    return unicodedata.category(ch) in _SYMBOLS or "\ufe00" <= ch <= "\ufe0f" or ch == "\u20e3"


def feature_fold(text: str) -> str:
    """Same-length fold for the tagger's features: as :func:`fold`, plus digits → 0, lower case."""
    return text.translate(_FEATURE_TABLE)


def chinese_to_int(numeral: str) -> int | None:
    """二十三 → 23, 一〇一 → 101 (digit by digit), 十 → 10; None when it is not a number."""
    if not numeral:
        return None
    if all(c in _CN_DIGITS for c in numeral):
        return int("".join(str(_CN_DIGITS[c]) for c in numeral))
    total, current = 0, 0
    for ch in numeral:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def _replace_number(m: re.Match[str]) -> str:
    value = chinese_to_int(m.group(1))
    return m.group(0) if value is None else str(value)


# normalize's rewrites after fold, in order (the repeated prefix and upper case come last),
# each with a character one of its matches holds ("": none to test): a scan for it is cheaper
# than the pattern's (the look-behinds try every position)
_STEPS = ((_SPACES, "", ""), (_NOISE, "", ""), (_DASHES, "-", "-"),
          (_CN_NUMBER, _replace_number, ""), (_HASH, "号", "#"), (_BUILDING, "号楼", ""),
          (_ROOM, "室", "房"))


@lru_cache(maxsize=65536)  # components repeat (上海市, 青浦区, 号楼 …): a batch's JSON spent
def normalize(text: str) -> str:  # two thirds of its time here before
    """Canonical spelling of an address string (not length-preserving).

    全角 → 半角, 繁体/异体 → 简体, whitespace and stray punctuation removed, 中文数字 before
    号/弄/楼/室/组… → digits, ``12#`` → ``12号``, 3幢/3栋 → 3号楼, 201房 → 201室, a repeated
    prefix (上海市上海市) once, letters upper-cased (B座, not b座).
    """
    return _REPEATED.sub(r"\1", _rewritten(fold(text))).upper()


def _rewritten(out: str) -> str:
    for pattern, replace, holds in _STEPS:
        if not holds or holds in out:
            out = pattern.sub(replace, out)
    return out


def normalize_many(texts: list[str]) -> list[str]:
    """``[normalize(t) for t in texts]``, each step run once over all of them joined (a tenth
    of the time for many short texts: ``dizhi parse``'s components)."""
    out = "\0".join(texts)
    if out.count("\0") != len(texts) - 1:  # a NUL of their own
        return [normalize(t) for t in texts]
    out = _rewritten(fold(out))
    return _REPEATED_JOINED.sub(r"\1", out).upper().split("\0") if texts else []
