"""Which encoding a text file is in: UTF-8 (with or without BOM) or GB18030.

Excel on Chinese Windows saves CSV as GBK (a subset of GB18030); everything else writes UTF-8.
UTF-8 is tried first because it is strict: GBK text almost never decodes as UTF-8. GB18030 maps
almost any byte string to *some* text, so its result is kept only when it reads as Chinese: its
non-ASCII characters are nearly all common CJK ideographs, CJK punctuation or full-width forms.
Anything else (Latin-1, UTF-16, a binary file) is refused with the place it went wrong.
"""

from dataclasses import dataclass

from address.errors import BadRequest

ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")
_BOM = b"\xef\xbb\xbf"
_PLAUSIBLE = 0.95  # share of a GB18030 decode's non-ASCII characters that must be common CJK


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # one of ENCODINGS


def _common_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x4E00 <= code <= 0x9FFF or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF
            or 0x2010 <= code <= 0x206F or 0x2460 <= code <= 0x24FF or code in (0xB7, 0xD7))


def _reads_as_chinese(text: str) -> bool:
    wide = [ch for ch in text if ord(ch) > 0x7F]
    return not wide or sum(map(_common_cjk, wide)) >= _PLAUSIBLE * len(wide)


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
    if text and _reads_as_chinese(text):
        return Decoded(text, "gb18030")
    raise BadRequest(f"{what} is neither UTF-8 nor GB18030 (GBK) text: byte {utf8_error} is not"
                     " UTF-8; save it as UTF-8 or say its encoding") from None
