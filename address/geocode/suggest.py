"""As-you-type suggestions for Chinese input.

pg_trgm needs three characters to say anything, and Chinese input is often one or two. So:

- Latin letters are pinyin: prefixes of the full pinyin (huaz → 华志路) or of the initials
  (hzl → 华志路) through btree ``text_pattern_ops`` indexes, and pg_trgm on the pinyin for typos;
- one or two Chinese characters: names that start with them (btree prefix), then names that
  contain them (GIN on each name's characters and character pairs, ``place.bigrams``);
- longer Chinese input: the same, plus whole addresses whose local key starts with the input
  (华志路3 → 华志路311弄 …), numbers compared as numbers (明珠路416 → 416弄 before 4160号),
  plus pg_trgm on the local key for small typos;
- towns, villages and communities of the admin areas by name, short name, pinyin or initials
  (朱家角 → 朱家角镇, qingpu → 青浦区), from the gazetteer, at a point on their area;
- with a ``location``, the suggestions found are given nearest first.
"""

import math
import re
from bisect import bisect_left
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.parse.gazetteer import load, short_names
from address.parse.parser import parse
from address.text.coding import name_grams, pinyin_forms
from address.text.format import village_name
from address.text.normalize import normalize
from address.text.standard import standardize

TYPO_MIN_LETTERS = 5
_LATIN = re.compile(r"^[a-z' ]+$")
_LEVEL = {"road": "道路", "poi": "兴趣点", "village": "村庄", "community": "社区",
          "devzone": "开发区"}
_AREA_LEVEL = {"district": "区县", "town": "乡镇", "community": "社区"}
_TRAILING_NUMBER = re.compile(r"\d+$")
# numbers as numbers: the address whose number ends where the input does first (416弄 before
# 4160号), then by the value of its first number, then by text
_NUMERIC_ORDER = """substring(local_key FROM char_length(%(typed)s) + 1) ~ '^[0-9]',
    NULLIF(substring(local_key FROM '([0-9]+)'), '')::numeric NULLS FIRST, local_key"""


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
                WHERE district_code = ANY(%(districts)s) AND status = 'active' AND {where}
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


def _local(q: str) -> str:
    """The input without its admin part, as the register's local keys read (the text as typed
    when it ends in a number the parser would drop or label otherwise: 明珠路416)."""
    if len(q) <= 2 or _TRAILING_NUMBER.search(q):
        return q
    form = standardize(parse(q))
    return form.local_key if form.place else q


def _chinese(conn: Connection, q: str, params: dict[str, Any]) -> list[Suggestion]:
    local = _local(q)
    p = {**params, "prefix": _prefix(local), "q": local, "grams": name_grams(local),
         "typed": local}
    found = _places(conn, "name LIKE %(prefix)s", p, "name")
    if len(local) > 2:
        found += _addresses(conn, "local_key LIKE %(prefix)s", p, "address",
                            order=_NUMERIC_ORDER)
    if len(found) < params["limit"]:
        found += _places(conn, "bigrams @> %(grams)s AND name NOT LIKE %(prefix)s", p, "contains")
    if len(found) < params["limit"] and len(local) >= 2:  # homophones: 明朱路 → 明珠路
        p["pinyin"] = _prefix(pinyin_forms(local)[0])
        found += _places(conn, "pinyin LIKE %(pinyin)s AND name NOT LIKE %(prefix)s", p, "pinyin")
    if len(found) < params["limit"] and len(local) >= 3:
        found += _addresses(conn, "local_key %% %(q)s", p, "typo",
                            order="similarity(local_key, %(q)s) DESC")
    return found


@dataclass(frozen=True)
class _Area:
    code: str
    name: str
    level: str


class _AreaIndex:
    """The districts, towns and communities of the register's districts (from the gazetteer),
    by sorted name and by sorted pinyin and initials, for prefix look-ups by bisection."""

    def __init__(self, districts: tuple[str, ...]) -> None:
        units = sorted((u for u in load().units.values()
                        if u.level in _AREA_LEVEL and u.code.startswith(districts)),
                       key=lambda u: (len(u.code), u.code))  # district, towns, communities
        self.areas = [_Area(u.code, u.name, u.level) for u in units]
        names = [(n, i) for i, u in enumerate(units)
                 for n in (u.name, *short_names(u.name, u.level))]
        self.names = sorted(names)
        self.spellings = sorted((form, i) for n, i in names for form in pinyin_forms(n))

    def starting(self, prefix: str, latin: bool) -> list[_Area]:
        keys = self.spellings if latin else self.names
        found = set()
        for key, i in keys[bisect_left(keys, (prefix, -1)):]:
            if not key.startswith(prefix):
                break
            found.add(i)
        return [self.areas[i] for i in sorted(found)]


@cache
def _area_index(districts: tuple[str, ...]) -> _AreaIndex:
    return _AreaIndex(districts)


def _matching_areas(conn: Connection, q: str, districts: tuple[str, ...],
                    limit: int) -> list[Suggestion]:
    latin = bool(_LATIN.match(q))
    letters = q.replace(" ", "").replace("'", "") if latin else q
    found = _area_index(districts).starting(letters, latin)[:limit]
    if not found:
        return []
    points = _area_points(conn, [a.code for a in found])
    return [_area_suggestion(a, points.get(a.code) or (None, None), latin) for a in found]


_POINTS: dict[str, tuple[float, float]] = {}  # admin areas barely change; a point on a polygon
# of thousands of vertices costs milliseconds, so each is computed once per process


def _area_points(conn: Connection, codes: list[str]) -> dict[str, tuple[float, float]]:
    if missing := [c for c in codes if c not in _POINTS]:
        _POINTS.update((code, (x, y)) for code, x, y in conn.execute(
            "SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) AS p"
            " FROM admin_area WHERE code = ANY(%s)) a", [missing]).fetchall())
    return {c: _POINTS[c] for c in codes if c in _POINTS}


def _area_suggestion(a: _Area, point: tuple[float | None, float | None],
                     latin: bool) -> Suggestion:
    village = village_name(a.code)  # a 村委会 reads as its village: 张马村
    return Suggestion(village or a.name, "village" if village else a.level, a.code,
                      "村庄" if village else _AREA_LEVEL[a.level], point[0], point[1],
                      "pinyin" if latin else "name")


def _distance(s: Suggestion, location: tuple[float, float]) -> float:
    """Metres (equirectangular, enough to order suggestions); unplaced ones last."""
    if s.lng is None or s.lat is None:
        return math.inf
    dx = math.radians(s.lng - location[0]) * math.cos(math.radians(location[1]))
    return 6_371_000 * math.hypot(dx, math.radians(s.lat - location[1]))


def suggest(conn: Connection, *, q: str, districts: tuple[str, ...], limit: int = 10,
            location: tuple[float, float] | None = None) -> list[Suggestion]:
    """Suggestions for what is being typed; ``location`` (WGS84 lng, lat): nearest first."""
    text = normalize(q).strip().lower()
    if not text:
        return []
    params = {"districts": list(districts), "limit": limit}
    found = _matching_areas(conn, text, districts, limit)
    found += _pinyin(conn, text, params) if _LATIN.match(text) else _chinese(conn, text, params)
    unique = {(s.text, s.kind): s for s in reversed(found)}  # the first of each name wins
    ordered = sorted(unique.values(), key=found.index)
    if location is not None:
        ordered.sort(key=lambda s: _distance(s, location))
    return ordered[:limit]
