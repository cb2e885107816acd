"""Which encoding a text file is in: UTF-8 (with or without BOM) or GB18030.

Excel on Chinese Windows saves CSV as GBK (a subset of GB18030); everything else writes UTF-8.
UTF-8 is tried first because it is strict: GBK text almost never decodes as UTF-8. GB18030 maps
almost any byte string to *some* text, so its result is kept only when it reads as Chinese: its
non-ASCII characters are nearly all GB2312's (common hanzi, CJK punctuation, full-width forms).
Anything else (Latin-1, UTF-16, a binary file) is refused with the place it went wrong.
"""

import re
from dataclasses import dataclass

from address.errors import BadRequest

ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
_BOM = b"\xef\xbb\xbf"
_PLAUSIBLE = 0.95  # share of a GB18030 decode's non-ASCII characters that must be GB2312's
_GB2312 = re.compile(rb"[\xa1-\xf7][\xa1-\xfe]")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # one of ENCODINGS


def _reads_as_chinese(data: bytes, text: str) -> bool:
    """Nearly every non-ASCII character of the GB18030 decode is a GB2312 one (both bytes
    0xA1 or above: common hanzi, CJK punctuation, full-width forms), as in Chinese text; Latin-1
    accents next to ASCII letters or UTF-16 are not."""
    wide = sum(1 for ch in text if ord(ch) > 0x7F)
    return wide == 0 or len(_GB2312.findall(data)) >= _PLAUSIBLE * wide


def decode_text(data: bytes, *, what: str = "the file", encoding: str | None = None) -> Decoded:
    """``data`` as text, in the encoding given or else the one detected (see the module)."""
    if encoding:
        try:
            return Decoded(data.decode(encoding), encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadRequest(f"{what} is not {encoding} text: {exc}") from None
    if data.startswith(_BOM):
        try:
            return Decoded(data[len(_BOM):].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"{what} starts with a UTF-8 mark but byte {exc.start + 3} is not"
                             " UTF-8") from None
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_chinese(data, text):
        return Decoded(text, "gb18030")
    raise BadRequest(f"{what} is neither UTF-8 nor GB18030 (GBK) text: byte {utf8_error} is not"
                     " UTF-8; save it as UTF-8 or say its encoding") from None
