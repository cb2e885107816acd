"""Stable address codes, in the spirit of GB/T 39609 (地名地址地理编码规则).

    310118 1 00042 2 0311 0003 00 01201
    district | place kind + number | door kind + number | building | unit | room

The place (road, compound/POI, village …) gets a number the first time the district sees it;
doors, buildings, units and rooms use their own number when they are plain numbers (311弄 → 20311,
3号楼 → 0003) and a registered sequence otherwise (东1号楼 → 9001). A code stops at the deepest
level the address has, so a code's prefixes are the codes of the places that contain it.
"""

from psycopg import Connection

from address.text.standard import PLACE_KINDS, Segment

PLACE_CODE_LENGTH = 12  # district (6) + place kind (1) + place number (5)
_WIDTH = {"door": 4, "building": 4, "unit": 2, "room": 5}
_DOOR_KIND = {"号": "1", "弄": "2", "组": "3"}


def name_grams(name: str) -> list[str]:
    """Single characters and character pairs: what 1–2 character input is matched against."""
    return sorted(set(name) | {name[i:i + 2] for i in range(len(name) - 1)})


def full_pinyin(name: str) -> str:
    """Full pinyin without tones or spaces (华志路 → huazhilu)."""
    from pypinyin import lazy_pinyin  # its phrase table takes a second to load: not at start

    return "".join(lazy_pinyin(name, errors="default")).lower()


def pinyin_forms(name: str) -> tuple[str, str]:
    """Full pinyin without tones or spaces, and the initials (华志路 → huazhilu, hzl)."""
    from pypinyin import Style, lazy_pinyin

    initials = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return full_pinyin(name), "".join(initials).lower()


def plain_part(segment: Segment) -> str | None:
    """A segment that is a plain number in range codes as itself (door: kind digit + number)."""
    width, number = _WIDTH[segment.kind], segment.number
    if segment.kind == "door":
        if number is None or number >= 10 ** width:
            return None
        return _DOOR_KIND.get(segment.text[-1:], "1") + f"{number:0{width}d}"
    if number is None or number >= 9 * 10 ** (width - 1):  # the 9… range is for sequences
        return None
    return f"{number:0{width}d}"


def sequence_part(kind: str, seq: int) -> str:
    width = _WIDTH[kind]
    if kind == "door":
        return "9" + f"{seq:0{width}d}"
    return f"{9 * 10 ** (width - 1) + seq:0{width}d}"


def blank_part(kind: str) -> str:
    return "0" * (_WIDTH[kind] + (1 if kind == "door" else 0))


def _segment_lookup(conn: Connection, *, parent_code: str, segment: Segment) -> str | None:
    """The code part of a segment without registering anything (None if never seen)."""
    plain = plain_part(segment)
    if plain is not None:
        return plain
    row = conn.execute("SELECT seq FROM code_segment WHERE parent_code = %s AND text = %s",
                       [parent_code, f"{segment.kind}:{segment.text}"]).fetchone()
    return None if row is None else sequence_part(segment.kind, int(row[0]))


def code_parts(segments: list[Segment]) -> list[tuple[str, Segment | None]]:
    """(kind, segment or None for a gap) from the door down to the deepest segment given."""
    by_kind = {s.kind: s for s in segments}
    deepest = max((list(_WIDTH).index(s.kind) for s in segments), default=-1)
    return [(kind, by_kind.get(kind)) for kind in list(_WIDTH)[: deepest + 1]]


def place_number_code(district_code: str, kind: str, seq: int) -> str:
    """The code of the district's ``seq``-th place of a kind (numbered as first seen)."""
    return f"{district_code}{PLACE_KINDS[kind]}{seq:05d}"


def code_prefixes(conn: Connection, place_code: str, segments: list[Segment]) -> list[str]:
    """Codes from the deepest segment up to the place itself, deepest first, read-only."""
    codes, code = [place_code], place_code
    for kind, segment in code_parts(segments):
        part = blank_part(kind) if segment is None else _segment_lookup(
            conn, parent_code=place_code, segment=segment)
        if part is None:
            break
        code += part
        codes.append(code)
    return codes[::-1]
