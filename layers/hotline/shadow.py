"""The shadow of a complaint text that the number recognisers read.

:func:`fold` maps the text one character for one character: full-width digits, letters and signs
to ASCII, Chinese numerals read digit by digit (幺三九零…, 两, 〇) to digits. Offsets in the
shadow are offsets in the original, so a span found on the shadow is masked on the original.

:func:`digit_runs` cuts the shadow into runs of digits that a caller may have written with
spaces, dots, dashes or brackets between them (``139 0000 2222``, ``1 3 9 …``, ``139.0000.2222``,
``(021)5970-1234``); each run keeps its tokens with their offsets (the offset map from the digits
back to the text), so a recogniser can take the longest sequence of tokens that forms a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FOLD = {**{chr(0xFF10 + i): str(i) for i in range(10)},
         **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
         **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
         "\uff0d": "-", "\u3000": " ", "\uff08": "(", "\uff09": ")", "\uff0b": "+",
         "\uff20": "@", "\uff0e": ".", "\uff3f": "_", "\uff1a": ":", "\u2014": "-",
         "\u2013": "-", "\u00b7": "·", "\u30fb": "·"}
_NUMERALS = dict(zip("零〇一二三四五六七八九幺两", "0012345678912", strict=True))
_WIDTH = str.maketrans(_FOLD)
_ALL = str.maketrans({**_FOLD, **_NUMERALS})

# Between two digits of one number: at most two of these (``139 - 0000``).
_SEPARATORS = " .-·()\t"
_RUN = re.compile(r"\d+(?:[ .\-·()\t]{1,2}\d+)*(?:[Xx](?![A-Za-z0-9]))?")


def fold_width(text: str) -> str:
    """Full-width digits, letters and a few signs as ASCII; same length as ``text``."""
    return text.translate(_WIDTH)


def fold(text: str) -> str:
    """:func:`fold_width` and Chinese numerals as digits; same length as ``text``."""
    return text.translate(_ALL)


@dataclass(frozen=True)
class Token:
    start: int  # offsets in the text
    end: int
    digits: str
    sep_before: str  # the separator characters before it ('' for the first)


@dataclass(frozen=True)
class Run:
    tokens: tuple[Token, ...]

    def digits(self, i: int, j: int) -> str:
        return "".join(t.digits for t in self.tokens[i:j])


def digit_runs(shadow: str) -> list[Run]:
    """The runs of digits in ``shadow`` (a :func:`fold` result)."""
    runs = []
    for m in _RUN.finditer(shadow):
        tokens: list[Token] = []
        for t in re.finditer(r"\d+(?:[Xx](?![A-Za-z0-9]))?", m.group(0)):
            prev = tokens[-1].end - m.start() if tokens else t.start()
            tokens.append(Token(m.start() + t.start(), m.start() + t.end(), t.group(0),
                                m.group(0)[prev:t.start()]))
        runs.append(Run(tuple(tokens)))
    return runs


def next_visible(text: str, pos: int) -> str:
    """The first character at or after ``pos`` that is not a space ('' at the end)."""
    while pos < len(text) and text[pos] in " \t\u3000":
        pos += 1
    return text[pos:pos + 1]
