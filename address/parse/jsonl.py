"""JSON lines of a :class:`~address.parse.parser.ParsedBatch`, as ``dizhi parse`` writes them:
for each text ``json.dumps(batch[i].to_dict(), ensure_ascii=False)`` and a newline, in UTF-8,
byte for byte, without making the ParsedAddress objects.

Over the 50,000 CCKS test addresses, making a ParsedAddress with its spans and dicts per text
and walking them with the json module cost twice the parse itself. Here Python computes only
what it alone knows, once per distinct value: each distinct span text's normalized form
(``normalize_many``, for ``components``) and each resolved unit's codes object; the compiled writer
(address.parse.compiled.jsonl) puts the records together. Texts with a lone surrogate (which
UTF-8 cannot carry) take the plain path, so its error is the json module's and the stream's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from address.parse.compiled.results import occurrences
from address.parse.tagger import LABELS
from address.text.normalize import normalize_many

if TYPE_CHECKING:
    from address.parse.parser import ParsedBatch


def _joined(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of ``strings`` end to end, and where each starts (one more)."""
    cps = np.frombuffer("".join(strings).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    at = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=at[1:])
    return cps, at


def _bytes_joined(chunks: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    data = np.frombuffer(b"".join(chunks) or b"\0", dtype=np.uint8)
    at = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks)), out=at[1:])
    return data, at


def _normalized(joined: str, lo: np.ndarray, hi: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each span's index among the distinct span texts, their normalized forms joined)."""
    pieces = list(map(joined.__getitem__, map(slice, lo.tolist(), hi.tolist())))
    distinct = list(dict.fromkeys(pieces))
    index = {p: k for k, p in enumerate(distinct)}
    piece = np.fromiter(map(index.__getitem__, pieces), dtype=np.int64, count=len(pieces))
    norm_cps, at_norm = _joined(normalize_many(distinct))
    return piece, norm_cps, at_norm


@lru_cache(maxsize=65536)
def _codes_object(codes: tuple[tuple[str, str], ...]) -> bytes:
    return json.dumps(dict(codes), ensure_ascii=False).encode()


def _codes(batch: ParsedBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each text's codes object, the objects in UTF-8 end to end, where each starts): one per
    resolved unit, one per text whose codes Python resolved."""
    units = batch.spans.units
    _, first, code_of = np.unique(units, return_index=True, return_inverse=True)
    objects = [_codes_object(tuple(batch.codes(i).items())) for i in first.tolist()]
    for i in np.flatnonzero(units == -2).tolist():  # resolved from the text itself
        code_of[i] = len(objects)
        objects.append(_codes_object(tuple(batch.codes(i).items())))
    return (code_of.astype(np.int64), *_bytes_joined(objects))


def _words() -> tuple[np.ndarray, np.ndarray]:
    from address.parse.compiled.results import PIECES

    return _bytes_joined([w.encode() for w in (*LABELS, *PIECES)])


def json_lines(batch: ParsedBatch) -> bytes:
    """The batch's records, one line each, in UTF-8 (see the module)."""
    from address.parse.compiled.kernels import kernels

    write = kernels().write

    texts = batch.texts
    cps, at_text = _joined(texts)
    if np.any((cps >= 0xD800) & (cps <= 0xDFFF)):
        return "".join(json.dumps(p.to_dict(), ensure_ascii=False) + "\n"
                       for p in batch).encode("utf-8")
    _, lo, hi = occurrences(batch.spans, at_text)
    norm = _normalized("".join(texts), lo, hi)
    codes = _codes(batch)
    # at most 6 bytes per character (\u00XX), and room for the fixed words and the numbers
    size = (6 * (len(cps) + int((hi - lo).sum()) + int(np.diff(norm[2])[norm[0]].sum()))
            + 120 * len(lo) + 80 * len(texts) + int(np.diff(codes[2])[codes[0]].sum()))
    out = np.empty(size, dtype=np.uint8)
    b = batch.spans
    n = write((cps, at_text), (b.first, b.last, b.labels, b.starts, b.ends), norm, codes,
              _words(), out)
    return out[:n].tobytes()
