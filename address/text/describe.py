"""What the address API answers for one text: its standard form, how sure the parse is, and
what was missing, ambiguous or dropped. Pure code, no database.

``confidence`` is the tagger's own: for every span, the mean CRF marginal probability of the
tags the span was read with, and the answer's confidence is the weakest span's, times the share
of the text's letters and digits that some span covers (an address half read is not a sure
one). A span the parser adds after the CRF (a room number after a building, see the parser) has
no marginal of its own and counts as the CRF's tags under it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from address.parse.gazetteer import load
from address.parse.parser import ParsedAddress, parse_fold
from address.parse.tagger import marginals
from address.text.match import match
from address.text.standard import standardize

_ADMIN = ("prov", "city", "district", "town", "community")
_PLACE = ("road", "poi", "devzone", "community", "village_group")
_DOOR = ("roadno", "houseno", "village_group")


@dataclass(frozen=True, slots=True)
class Problem:
    """``kind``: missing | ambiguous | dropped | unresolved; ``detail`` says what, in Chinese."""

    kind: str
    detail: str
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "detail": self.detail}
        if self.start is not None:
            out["start"], out["end"] = self.start, self.end
        return out


def _meaningful(ch: str) -> bool:
    """A letter or digit: what an address is written with (not spaces, punctuation, emoji)."""
    return unicodedata.category(ch)[0] in "LN"


def _dropped(parsed: ParsedAddress) -> list[Problem]:
    """Runs of letters or digits no span covers."""
    covered = [False] * len(parsed.text)
    for span in parsed.spans:
        covered[span.start:span.end] = [True] * (span.end - span.start)
    out: list[Problem] = []
    start = None
    for i, ch in enumerate([*parsed.text, " "]):
        gap = i < len(parsed.text) and not covered[i] and _meaningful(ch)
        if gap and start is None:
            start = i
        elif not gap and start is not None:
            out.append(Problem("dropped", f"未识别的文字“{parsed.text[start:i]}”", start, i))
            start = None
    return out


def _ambiguous(parsed: ParsedAddress) -> list[Problem]:
    """An admin name the text gives that names several units, and nothing above it in the
    text says which (朝阳区 alone: 北京 or 长春)."""
    gaz = load()
    written = {span.label for span in parsed.spans}
    out: list[Problem] = []
    for i, level in enumerate(_ADMIN):
        span = next((s for s in parsed.spans if s.label == level), None)
        if span is None or any(upper in written for upper in _ADMIN[:i]):
            continue
        units = gaz.lookup(span.text.strip(), level)
        if len(units) > 1:
            chosen = parsed.codes.get(level, "")
            out.append(Problem("ambiguous", f"“{span.text}”有{len(units)}处同名，取了{chosen}",
                               span.start, span.end))
    return out


def _missing(parsed: ParsedAddress, components: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    if not parsed.spans or not any(map(_meaningful, parsed.text)):
        return [Problem("missing", "不是可识别的地址")]
    if "district" not in parsed.codes:
        out.append(Problem("unresolved", "区县无法确定"))
    elif "town" not in parsed.codes:
        out.append(Problem("unresolved", "街镇无法确定"))
    if not any(label in components for label in _PLACE):
        out.append(Problem("missing", "缺少道路、小区或村"))
    elif not any(label in components for label in _DOOR):
        out.append(Problem("missing", "缺少门牌号"))
    return out


def confidence(parsed: ParsedAddress) -> float:
    """The weakest span's mean tag marginal times the covered share of letters and digits."""
    text = parsed.text
    letters = sum(1 for ch in text if _meaningful(ch))
    if not parsed.spans or not letters:
        return 0.0
    covered = sum(1 for s in parsed.spans for ch in s.text if _meaningful(ch))
    probs = marginals(parse_fold(text))
    weakest = min(sum(probs[s.start:s.end]) / (s.end - s.start) for s in parsed.spans)
    return round(weakest * min(1.0, covered / letters), 4)


def describe(parsed: ParsedAddress) -> dict[str, Any]:
    """The address API's answer for one text (``input`` is the text as given)."""
    form = standardize(parsed)
    problems = _missing(parsed, form.components) + _ambiguous(parsed) + _dropped(parsed)
    return {
        "input": parsed.text,
        "components": form.components,
        "standard": form.canonical,
        "address_key": form.address_key,
        "level": form.level,
        "codes": {level: parsed.codes[level] for level in _ADMIN if level in parsed.codes},
        "spans": [span.to_dict() for span in parsed.spans],
        "confidence": confidence(parsed),
        "problems": [p.to_dict() for p in problems],
    }


def _differences(a: ParsedAddress, b: ParsedAddress, ca: dict[str, str],
                 cb: dict[str, str]) -> list[dict[str, str | None]]:
    """Components (codes for admin levels) that differ or that one side lacks; ``ca``, ``cb``
    are the standard forms' components."""
    out: list[dict[str, str | None]] = []
    for label in dict.fromkeys([*ca, *cb]):
        x = a.codes.get(label) or ca.get(label)
        y = b.codes.get(label) or cb.get(label)
        if x != y:
            out.append({"component": label, "a": ca.get(label), "b": cb.get(label)})
    return out


def compare(a: ParsedAddress, b: ParsedAddress) -> dict[str, Any]:
    """The address API's answer for a pair: 完全匹配 / 部分匹配 / 不匹配, score, differences."""
    result = match(a, b)
    form_a, form_b = standardize(a), standardize(b)
    return {
        "a": a.text,
        "b": b.text,
        "relation": result.label,
        "score": result.score,
        "same_key": form_a.address_key == form_b.address_key,
        "differences": _differences(a, b, form_a.components, form_b.components),
    }
