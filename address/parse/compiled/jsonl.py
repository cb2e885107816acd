"""JSON lines of a batch written as UTF-8 in one pass: ``dizhi parse``'s output.

Each record is what ``json.dumps(ParsedAddress.to_dict(), ensure_ascii=False)`` writes (the
json module's separators, its escapes: ``\\"``, ``\\\\``, ``\\n``-style for the five it names,
``\\u00XX`` for the other control characters, everything else as is), followed by a newline.
Python hands over what only it knows (each distinct span text's normalized form, each resolved
unit's codes object) as code points and bytes; the records are put together here, since making
a ParsedAddress with its spans and dicts per text and walking them with the generic encoder
cost twice the parse itself.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from address.parse.compiled.results import PIECES

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SHORT = {0x08: ord("b"), 0x09: ord("t"), 0x0A: ord("n"), 0x0C: ord("f"), 0x0D: ord("r")}
SHORT_ESCAPES = np.zeros(0x20, dtype=np.uint8)  # control character → its one-letter escape
for _cp, _letter in _SHORT.items():
    SHORT_ESCAPES[_cp] = _letter


@njit(cache=True, inline="always")
def _put(out: np.ndarray, at: int, data: np.ndarray, lo: int, hi: int) -> int:
    # element by element: a slice per piece costs more than the copy (numba counts references)
    for k in range(lo, hi):
        out[at] = data[k]
        at += 1
    return at


@njit(cache=True)
def _escaped(out: np.ndarray, at: int, cps: np.ndarray, lo: int, hi: int,
             short: np.ndarray) -> int:
    """``cps[lo:hi]`` as the inside of a JSON string, in UTF-8 (the caller checked: no
    surrogates)."""
    for k in range(lo, hi):
        c = cps[k]
        if c == 0x22 or c == 0x5C:
            out[at], out[at + 1] = 0x5C, c
            at += 2
        elif c < 0x20:
            out[at] = 0x5C
            if short[c]:
                out[at + 1] = short[c]
                at += 2
            else:
                out[at + 1], out[at + 2], out[at + 3] = 0x75, 0x30, 0x30
                out[at + 4], out[at + 5] = _HEX[c >> 4], _HEX[c & 15]
                at += 6
        elif c < 0x80:
            out[at] = c
            at += 1
        elif c < 0x800:
            out[at], out[at + 1] = 0xC0 | (c >> 6), 0x80 | (c & 0x3F)
            at += 2
        elif c < 0x10000:
            out[at], out[at + 1], out[at + 2] = (0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F),
                                                 0x80 | (c & 0x3F))
            at += 3
        else:
            out[at], out[at + 1] = 0xF0 | (c >> 18), 0x80 | ((c >> 12) & 0x3F)
            out[at + 2], out[at + 3] = 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)
            at += 4
    return at


@njit(cache=True, inline="always")
def _number(out: np.ndarray, at: int, value: int) -> int:
    digits = 1
    while value >= 10 ** digits:
        digits += 1
    for k in range(digits - 1, -1, -1):
        out[at + k] = 0x30 + value % 10
        value //= 10
    return at + digits


(_OPEN, _COMPONENTS, _COMMA, _VALUE, _CODES, _SPANS, _LABEL, _START, _END, _TEXT, _CLOSE,
 _DONE) = range(len(PIECES))


@njit(cache=True, inline="always")
def _word(out: np.ndarray, at: int, chars: np.ndarray, at_word: np.ndarray, k: int) -> int:
    return _put(out, at, chars, at_word[k], at_word[k + 1])


@njit(cache=True, nogil=True)
def write(text: tuple[np.ndarray, np.ndarray], rows: tuple[np.ndarray, ...],
          norm: tuple[np.ndarray, np.ndarray, np.ndarray],
          codes: tuple[np.ndarray, np.ndarray, np.ndarray],
          words: tuple[np.ndarray, np.ndarray], out: np.ndarray) -> int:
    """The records of all texts into ``out``; returns the bytes written.

    ``text``: (code points of the texts end to end, where each starts, one more);
    ``rows``: the Batch's (first, last, labels, starts, ends); ``norm``: (for each span of each
    text in turn the index of its distinct text, their normalized code points end to end, where
    each starts); ``codes``: (each
    text's codes object, the objects' UTF-8 end to end, where each starts); ``words``: the
    ASCII words end to end and where each starts: the labels, then ``PIECES``.
    """
    cps, at_text = text
    first, last, labels, starts, ends = rows
    piece, norm_cps, at_norm = norm
    code_of, code_bytes, at_code = codes
    chars, at_word = words
    fixed = len(at_word) - 1 - len(PIECES)  # PIECES[k] is word fixed + k
    short = SHORT_ESCAPES
    pos = occurrence = 0
    for i in range(len(at_text) - 1):
        base, lo, hi = at_text[i], first[i], last[i]
        pos = _word(out, pos, chars, at_word, fixed + _OPEN)
        pos = _escaped(out, pos, cps, base, at_text[i + 1], short)
        pos = _word(out, pos, chars, at_word, fixed + _COMPONENTS)
        for j in range(lo, hi):
            if _seen(labels, lo, j):
                continue  # its text went with the label's first span
            if j > lo:
                pos = _word(out, pos, chars, at_word, fixed + _COMMA)
            out[pos] = 0x22
            pos = _word(out, pos + 1, chars, at_word, labels[j])
            pos = _word(out, pos, chars, at_word, fixed + _VALUE)
            for m in range(j, hi):
                if labels[m] == labels[j]:
                    p = piece[occurrence + m - lo]
                    pos = _escaped(out, pos, norm_cps, at_norm[p], at_norm[p + 1], short)
            out[pos] = 0x22
            pos += 1
        pos = _word(out, pos, chars, at_word, fixed + _CODES)
        pos = _put(out, pos, code_bytes, at_code[code_of[i]], at_code[code_of[i] + 1])
        pos = _word(out, pos, chars, at_word, fixed + _SPANS)
        for j in range(lo, hi):
            if j > lo:
                pos = _word(out, pos, chars, at_word, fixed + _COMMA)
            pos = _word(out, pos, chars, at_word, fixed + _LABEL)
            pos = _word(out, pos, chars, at_word, labels[j])
            pos = _word(out, pos, chars, at_word, fixed + _START)
            pos = _number(out, pos, starts[j])
            pos = _word(out, pos, chars, at_word, fixed + _END)
            pos = _number(out, pos, ends[j])
            pos = _word(out, pos, chars, at_word, fixed + _TEXT)
            pos = _escaped(out, pos, cps, base + starts[j], base + ends[j], short)
            pos = _word(out, pos, chars, at_word, fixed + _CLOSE)
        pos = _word(out, pos, chars, at_word, fixed + _DONE)
        occurrence += hi - lo
    return pos


@njit(cache=True, inline="always")
def _seen(labels: np.ndarray, lo: int, j: int) -> bool:
    for m in range(lo, j):  # noqa: SIM110 (a plain loop compiles to the tightest code)
        if labels[m] == labels[j]:
            return True
    return False
