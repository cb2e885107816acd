"""extract: find the address spans inside free text (a 12345 complaint, a chat message).

The CRF is trained on text that is all address, so it labels anything; here the span is found by
rules instead and only then handed to the parser. A span starts at an admin name (from
the gazetteer pre-pass), right after a cue such as 住在/位于/地址:, or at a clause start; it grows
token by token, where a token is a short run ending in an address suffix (区, 镇, 村, 路, 号, 室…).
Once a number (8组, 500号) is reached only further numbered parts or a building name may follow,
which stops 门口路灯 from joining 张马村8组.
"""

from __future__ import annotations

import re

from address.parse.gazetteer import scanner
from address.parse.parser import Span
from address.text.normalize import fold

_CLAUSE = re.compile(r"[^，。！？；,!?;\n\r\t ]+")
_CUE = re.compile(r"(住在|家住|住址[是为:]?|地址[是为:]?|地点[是为:]?|位于|坐落于|在)")
_NUM = r"(?:[0-9A-Za-z\-]+|[零〇一二两三四五六七八九十百千]+)"
_NUMBERED = re.compile(_NUM + r"(?:号楼|号院|号|弄|支弄|栋|幢|座|单元|层|楼|室|户|组|队)")
_ADMIN = r"(?:省|市|区|县|镇|乡|街道|村|社区|新村)"
_ROAD = r"(?:路|街|大道|巷|弄|胡同|里)"
_BUILDING = r"(?:小区|花园|公寓|大厦|广场|中心|苑|园|城|府|家园|大楼|商城|工业区|园区)"
_NAMED = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}?(?:" + "|".join((_ADMIN, _ROAD, _BUILDING)) + ")"
)
_AFTER_NUMBER = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]{1,12}?" + _BUILDING)


def _tokens(text: str, pos: int) -> int:
    """End of the address that starts at ``pos`` (== pos when none does)."""
    end, numbered, count = pos, False, 0
    while end < len(text):
        m = _NUMBERED.match(text, end)
        if not m and numbered:
            m = _AFTER_NUMBER.match(text, end)
        elif not m:
            m = _NAMED.match(text, end)
        if not m:
            break
        numbered = numbered or bool(_NUMBERED.fullmatch(m.group(0)))
        end, count = m.end(), count + 1
    if count < 2 and not numbered:
        return pos
    return end


def _strong_starts(clause: str) -> list[int]:
    """Where an address is likely to begin: admin names and just after cue words."""
    tags = scanner().tags(clause)
    starts = {i for i, t in enumerate(tags) if t[0] == "B"}
    starts.update(m.end() for m in _CUE.finditer(clause))
    return sorted(starts)


def _clause_spans(clause: str) -> list[tuple[int, int]]:
    """(start, end) of the addresses in one clause.

    The clause start is tried too (张杨路500号… has no cue), but when a strong start lies inside
    what it found, that start wins: 我住在青浦区… begins at 青浦区.
    """
    strong = _strong_starts(clause)
    out: list[tuple[int, int]] = []
    covered = 0
    for start in sorted({0, *strong}):
        if start < covered:
            continue
        end = _tokens(clause, start)
        if end <= start:
            continue
        inner = next((s for s in strong if start < s < end), None) if start not in strong else None
        if inner is not None and _tokens(clause, inner) > inner:
            start, end = inner, _tokens(clause, inner)
        out.append((start, end))
        covered = end
    return out


def extract(text: str) -> list[Span]:
    """Address spans (label ``address``) in ``text``, offsets into the original string."""
    folded = fold(text)
    found: list[Span] = []
    for clause in _CLAUSE.finditer(folded):
        base = clause.start()
        for start, end in _clause_spans(clause.group(0)):
            found.append(Span("address", base + start, base + end, text[base + start:base + end]))
    return found
