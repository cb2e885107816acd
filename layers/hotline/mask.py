"""Personal data in complaint text, found and masked before anything is stored, logged or shown.

The recognisers read a shadow of the text (:mod:`layers.hotline.shadow`: full-width characters
and Chinese numerals folded one for one, so offsets are those of the original):

- numbers (:mod:`layers.hotline.numbers`): mobiles in any written form, landlines with area code
  and extension, 18/15-digit ID numbers and bank cards (check digits by python-stdnum), QQ and
  numeric WeChat IDs after their cue;
- handles: e-mail (the local part), WeChat IDs, licence plates (the serial after 沪A);
- names (:mod:`layers.hotline.names`): by context and a surname list.

Door numbers (559号), dates (2026年3月5日, 2026-03-05), times (15:30) and amounts (1200元) are
left readable. Digits, letters and other characters of a number become ``*`` (separators stay, so
the shape of the text is kept); a name keeps its surname (张**); a surname before an honorific is
masked (*先生). No library fits the whole job: Presidio has no Chinese recogniser without a spaCy
model, and a segmenter (jieba) adds a dictionary load and misses the contexts 12345 texts use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from layers.hotline.names import SURNAMES, find_names
from layers.hotline.numbers import find_handles, find_numbers
from layers.hotline.shadow import fold, fold_width

__all__ = ["KINDS", "SURNAMES", "MaskResult", "Masked", "fold_digits", "mask", "mask_text"]

KINDS = ("mobile", "landline", "id_card", "bank_card", "email", "wechat", "qq", "plate", "name")


@dataclass(frozen=True)
class Masked:
    kind: str  # one of KINDS
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
    return fold_width(text)


def _free(taken: list[Masked], start: int, end: int) -> bool:
    return all(end <= m.start or start >= m.end for m in taken)


def _collect(text: str) -> list[Masked]:
    shadow = fold(text)
    spans: list[Masked] = []
    for kind, start, end in find_handles(shadow) + find_numbers(shadow) + find_names(text):
        if end > start and _free(spans, start, end):
            spans.append(Masked(kind, start, end))
    spans.sort(key=lambda s: s.start)
    return spans


def _apply(text: str, spans: list[Masked]) -> str:
    chars = list(text)
    for span in spans:
        for i in range(span.start, span.end):
            whole = span.kind in ("name", "email", "wechat")
            if (whole and not chars[i].isspace()) or chars[i].isalnum():
                chars[i] = "*"
    return "".join(chars)


def mask(text: str) -> MaskResult:
    """The text with personal data masked, and what was masked where."""
    spans = _collect(text)
    return MaskResult(_apply(text, spans), spans)


def mask_text(text: str) -> str:
    """Just the masked text (for logs and query strings)."""
    return mask(text).text if text else text
