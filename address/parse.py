"""parse: address text → labelled spans (offsets into the original text) and admin codes.

Pipeline: fold the text 1:1 (so offsets survive), tag characters with the CRF, turn BIO tags into
spans, then resolve the admin spans against the gazetteer to NBS codes, filling the levels above
the deepest one found (朱家角镇 alone gives 青浦区, 上海市).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from address.corpus import spans as bio_spans
from address.normalize import fold, normalize
from address.resolve import resolve_codes
from address.tagger import tag

MAX_INPUT = 2000  # characters; beyond this the text is not an address and is cut


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled piece of the input: ``text == source[start:end]`` of the original string."""

    label: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class ParsedAddress:
    """The result of :func:`parse`; ``codes`` maps prov/city/district/town/community → NBS code."""

    text: str
    spans: list[Span] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)

    @property
    def components(self) -> dict[str, str]:
        """label → normalized text; a label that occurs twice has its pieces joined in order."""
        out: dict[str, str] = {}
        for span in self.spans:
            out[span.label] = out.get(span.label, "") + normalize(span.text)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI and the API return this)."""
        return {
            "text": self.text,
            "components": self.components,
            "codes": dict(self.codes),
            "spans": [s.to_dict() for s in self.spans],
        }


def tag_spans(text: str) -> list[Span]:
    """CRF spans of ``text`` with offsets into ``text``; blank spans are dropped."""
    tags = tag(fold(text))
    out = []
    for label, start, end in bio_spans(list(tags)):
        piece = text[start:end]
        if piece.strip():
            out.append(Span(label, start, end, piece))
    return out


def parse(text: str) -> ParsedAddress:
    """Parse one address. Never raises on odd input: empty or garbage text gives no spans."""
    if not isinstance(text, str):
        raise TypeError("parse() takes a str")
    text = text[:MAX_INPUT]
    spans = tag_spans(text)
    codes = resolve_codes([(s.label, normalize(s.text)) for s in spans])
    return ParsedAddress(text, spans, codes)
