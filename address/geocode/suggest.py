"""As-you-type suggestions for Chinese input.

pg_trgm needs three characters to say anything, and Chinese input is often one or two. So:

- Latin letters are pinyin: prefixes of the full pinyin (huaz → 华志路) or of the initials
  (hzl → 华志路) through btree ``text_pattern_ops`` indexes, and pg_trgm on the pinyin for typos;
- one or two Chinese characters: names that start with them (btree prefix), then names that
  contain them (GIN on each name's characters and character pairs, ``place.bigrams``);
- longer Chinese input: the same, plus whole addresses whose local key starts with the input
  (华志路3 → 华志路311弄 …), plus pg_trgm on the local key for small typos.
"""

import re
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.parse.parser import parse
from address.text.coding import name_grams, pinyin_forms
from address.text.normalize import normalize
from address.text.standard import standardize

TYPO_MIN_LETTERS = 5
_LATIN = re.compile(r"^[a-z' ]+$")
_LEVEL = {"road": "道路", "poi": "兴趣点", "village": "村庄", "community": "社区",
          "devzone": "开发区"}


@dataclass
class Suggestion:
    text: str
    kind: str  # place kind or "address"
    code: str
    level: str
    lng: float | None
    lat: float | None
    matched_by: str  # name, pinyin, initials, contains, address, typo

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _places(conn: Connection, where: str, params: dict[str, Any], matched_by: str,
            order: str = "address_count DESC, name") -> list[Suggestion]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"""SELECT code, name, kind, ST_X(point) AS lng, ST_Y(point) AS lat FROM place
                WHERE district_code = ANY(%(districts)s) AND {where}
                ORDER BY {order} LIMIT %(limit)s""", params).fetchall()
    return [Suggestion(r["name"], r["kind"], r["code"], _LEVEL[r["kind"]], r["lng"], r["lat"],
                       matched_by) for r in rows]


def _addresses(conn: Connection, where: str, params: dict[str, Any], matched_by: str,
               order: str = "local_key") -> list[Suggestion]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"""SELECT code, canonical, level, ST_X(point) AS lng, ST_Y(point) AS lat
                FROM address WHERE valid_to IS NULL AND status <> 'retired'
                  AND district_code = ANY(%(districts)s) AND {where}
                ORDER BY {order} LIMIT %(limit)s""", params).fetchall()
    return [Suggestion(r["canonical"], "address", r["code"], r["level"], r["lng"], r["lat"],
                       matched_by) for r in rows]


def _prefix(text: str) -> str:
    return text.replace("\\\\", "\\\\\\\\").replace("%", "\\\\%").replace("_", "\\\\_") + "%"


def _pinyin(conn: Connection, q: str, params: dict[str, Any]) -> list[Suggestion]:
    letters = q.replace(" ", "").replace("'", "")
    p = {**params, "prefix": _prefix(letters), "q": letters}
    found = _places(conn, "(pinyin LIKE %(prefix)s OR initials LIKE %(prefix)s)", p, "pinyin")
    if len(found) < params["limit"] and len(letters) >= TYPO_MIN_LETTERS:
        found += _places(conn, "pinyin %% %(q)s AND similarity(pinyin, %(q)s) >= 0.4", p, "typo",
                         order="similarity(pinyin, %(q)s) DESC, address_count DESC")
    return found


def _chinese(conn: Connection, q: str, params: dict[str, Any]) -> list[Suggestion]:
    local = standardize(parse(q)).local_key if len(q) > 2 else q
    p = {**params, "prefix": _prefix(local), "q": local, "grams": name_grams(local)}
    found = _places(conn, "name LIKE %(prefix)s", p, "name")
    if len(local) > 2:
        found += _addresses(conn, "local_key LIKE %(prefix)s", p, "address")
    if len(found) < params["limit"]:
        found += _places(conn, "bigrams @> %(grams)s AND name NOT LIKE %(prefix)s", p, "contains")
    if len(found) < params["limit"] and len(local) >= 2:  # homophones: 明朱路 → 明珠路
        p["pinyin"] = _prefix(pinyin_forms(local)[0])
        found += _places(conn, "pinyin LIKE %(pinyin)s AND name NOT LIKE %(prefix)s", p, "pinyin")
    if len(found) < params["limit"] and len(local) >= 3:
        found += _addresses(conn, "local_key %% %(q)s", p, "typo",
                            order="similarity(local_key, %(q)s) DESC")
    return found


def suggest(conn: Connection, *, q: str, districts: tuple[str, ...],
            limit: int = 10) -> list[Suggestion]:
    text = normalize(q).strip().lower()
    if not text:
        return []
    params = {"districts": list(districts), "limit": limit}
    found = _pinyin(conn, text, params) if _LATIN.match(text) else _chinese(conn, text, params)
    unique = {s.code: s for s in reversed(found)}  # the first of each code wins
    return sorted(unique.values(), key=found.index)[:limit]
