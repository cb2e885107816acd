"""Invisible marks in exports: which API key exported a CSV or GeoJSON file.

The mark is 48 bits: the key's id (32) and a 16-bit tag (HMAC-SHA256 under a key derived from
the secret keyring), so noise or a forged mark does not name a key. It is written twice:

- **text**: every non-empty text value gets the bits as zero-width characters after its first
  character (U+2060 frames them, U+200B is 0, U+200C is 1). Spreadsheets keep them when a CSV
  is opened and saved again (tested through xlsx with openpyxl).
- **coordinates**: each point's longitude is written with 7 decimals; the 7th carries one bit
  (3 for 0, 7 for 1; the point moves by at most 1 cm) and the bit's index comes from the point's
  own first 6 decimals, so sorting, filtering or dropping rows does not lose it. A few hundred
  points carry the whole mark even when the text columns were cleaned.

:func:`identify` reads either back and returns the key id whose tag checks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable
from typing import Any

from layers.hotline.crypto import Keyring

BITS = 48
FRAME, ZERO, ONE = "\u2060", "\u200b", "\u200c"
_MARK = re.compile(f"{FRAME}([{ZERO}{ONE}]{{{BITS}}}){FRAME}")
_INVISIBLE = re.compile(f"[{FRAME}{ZERO}{ONE}]")
_PAIR = re.compile(r"(-?\d{1,3}\.\d{7}),\s*\"?(-?\d{1,2}\.\d{7})(?!\d)")


def _tag(secret: bytes, key_id: int) -> int:
    return int.from_bytes(hmac.new(secret, b"watermark:%d" % key_id, hashlib.sha256)
                          .digest()[:2], "big")


def _secret(key: bytes) -> bytes:
    return hashlib.sha256(b"dizhi-watermark:" + key).digest()


def payload(keyring: Keyring, key_id: int) -> int:
    """The 48 bits for ``key_id`` under the keyring's current key."""
    return (key_id << 16) | _tag(_secret(keyring.keys[keyring.current]), key_id)


def _bits(value: int) -> str:
    return format(value, f"0{BITS}b")


def mark_text(text: str, mark: int) -> str:
    """``text`` with the mark after its first character (unchanged if empty)."""
    if not text:
        return text
    code = "".join(ONE if b == "1" else ZERO for b in _bits(mark))
    return text[0] + FRAME + code + FRAME + text[1:]


def strip_marks(text: str) -> str:
    return _INVISIBLE.sub("", text)


def _bit_index(base: str) -> int:
    return zlib.crc32(base.encode()) % BITS


def mark_coordinate(lng: float, lat: float, mark: int) -> tuple[str, str]:
    """Longitude and latitude as text with 7 decimals, one bit of the mark in the longitude."""
    base_lng, base_lat = f"{lng:.6f}", f"{lat:.6f}"
    bit = _bits(mark)[_bit_index(base_lng + base_lat)]
    return base_lng + ("7" if bit == "1" else "3"), base_lat + "5"


def _read_coordinate(lng: str, lat: str) -> tuple[int, str] | None:
    if len(lng.split(".")[-1]) != 7 or lng[-1] not in "37" or len(lat.split(".")[-1]) != 7:
        return None
    return _bit_index(lng[:-1] + lat[:-1]), "1" if lng[-1] == "7" else "0"


def text_votes(text: str) -> Counter[int]:
    """How often each 48-bit mark occurs in ``text``."""
    return Counter(int(m.group(1).replace(ZERO, "0").replace(ONE, "1"), 2)
                   for m in _MARK.finditer(text))


def coordinate_mark(pairs: Iterable[tuple[str, str]]) -> int | None:
    """The mark spelled by marked coordinates (None while a bit has no vote)."""
    votes: dict[int, Counter[str]] = {}
    for lng, lat in pairs:
        read = _read_coordinate(lng, lat)
        if read:
            votes.setdefault(read[0], Counter())[read[1]] += 1
    if len(votes) < BITS:
        return None
    return int("".join(votes[i].most_common(1)[0][0] for i in range(BITS)), 2)


def coordinate_pairs(text: str) -> list[tuple[str, str]]:
    """Longitude, latitude pairs written with 7 decimals, in the order they appear."""
    return [(m.group(1), m.group(2)) for m in _PAIR.finditer(text)]


def check(keyring: Keyring, mark: int) -> int | None:
    """The key id a mark names, if its tag checks under one of the keyring's keys."""
    key_id, tag = mark >> 16, mark & 0xFFFF
    for key in keyring.keys.values():
        if hmac.compare_digest(_tag(_secret(key), key_id).to_bytes(2, "big"),
                               tag.to_bytes(2, "big")):
            return key_id
    return None


def identify(keyring: Keyring, text: str) -> dict[str, Any]:
    """Which key exported ``text`` (a CSV or GeoJSON file's content): from the text marks, or
    else from the coordinates; ``key_id`` is None when neither names a key."""
    for mark, n in text_votes(text).most_common():
        key_id = check(keyring, mark)
        if key_id is not None:
            return {"key_id": key_id, "found_in": "text", "marks": n}
    mark_c = coordinate_mark(coordinate_pairs(text))
    key_id = check(keyring, mark_c) if mark_c is not None else None
    return {"key_id": key_id, "found_in": "coordinates" if key_id is not None else None,
            "marks": 0}


def mark_features(features: list[dict[str, Any]], mark: int,
                  keys: Iterable[str] | None = None) -> str:
    """GeoJSON features as a JSON array, marked in their string properties (those in ``keys``,
    or all) and their points' coordinates (other geometries are marked in their text only)."""
    wanted = set(keys) if keys is not None else None
    for feature in features:
        props = feature.get("properties") or {}
        for key, value in props.items():
            if isinstance(value, str) and (wanted is None or key in wanted):
                props[key] = mark_text(value, mark)
        geom = feature.get("geometry") or {}
        if geom.get("type") == "Point" and geom.get("coordinates"):
            x, y = geom["coordinates"][:2]
            lng, lat = mark_coordinate(x, y, mark)
            geom["coordinates"] = [_Raw(lng), _Raw(lat)]
    return _dumps(features)


def mark_feature_collection(fc: dict[str, Any], mark: int,
                            keys: Iterable[str] | None = None) -> str:
    """A FeatureCollection as text, its features marked as :func:`mark_features` does."""
    rest = {k: v for k, v in fc.items() if k != "features"}
    head = _dumps(rest)[:-1] + ("," if rest else "")
    return head + '"features":' + mark_features(fc.get("features", []), mark, keys) + "}"


class _Raw(float):
    """A float written with exactly the digits it was made from."""

    def __new__(cls, text: str) -> _Raw:
        obj = super().__new__(cls, text)
        obj.text = text  # type: ignore[attr-defined]
        return obj

    def __repr__(self) -> str:
        return str(self.text)  # type: ignore[attr-defined]


def _dumps(value: Any) -> str:
    if isinstance(value, _Raw):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)
