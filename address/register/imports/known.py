"""The register's places as an import sees them: by name, by old name (an alias kept by a
rename or merge), and the known name a new one is a typo of (same pinyin, or one edit away).

Loaded once per chunk: a district has thousands of places, not millions.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from psycopg import Connection
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from address.text.coding import full_pinyin


@dataclass(frozen=True)
class KnownPlace:
    code: str
    kind: str
    name: str
    district: str
    status: str  # active | merged | retired
    merged_into: str | None
    town_code: str


@lru_cache(maxsize=65536)
def pinyin_of(name: str) -> str:
    """A name's pinyin (cached: a chunk asks for the same names many times)."""
    return full_pinyin(name)


class KnownPlaces:
    def __init__(self, places: list[KnownPlace], aliases: list[tuple[str, str]]) -> None:
        self.by_code = {p.code: p for p in places}
        self.by_name = {(p.district, p.kind, p.name): p for p in places}
        self.by_alias = {(self.by_code[code].district, self.by_code[code].kind, alias): code
                         for code, alias in aliases if code in self.by_code}
        self._names: dict[tuple[str, str], list[str]] = defaultdict(list)
        self._pinyin: dict[tuple[str, str, str], str] = {}
        for p in places:
            if p.status == "active":
                self._names[p.district, p.kind].append(p.name)
                self._pinyin.setdefault((p.district, p.kind, pinyin_of(p.name)), p.name)

    def codes(self) -> dict[tuple[str, str, str], str]:
        return {key: p.code for key, p in self.by_name.items()}

    def current(self, code: str) -> KnownPlace:
        """The place a merged place went into (followed to the end)."""
        place = self.by_code[code]
        seen = {code}
        while place.status == "merged" and place.merged_into in self.by_code \
                and place.merged_into not in seen:
            seen.add(place.merged_into)
            place = self.by_code[place.merged_into]
        return place

    def resolve(self, district: str, kind: str, name: str) -> KnownPlace | None:
        """The place of that name, or the one an old name (alias) now stands for."""
        place = self.by_name.get((district, kind, name))
        if place is None:
            code = self.by_alias.get((district, kind, name))
            place = self.by_code[code] if code else None
        return None if place is None else self.current(place.code)

    def homophone(self, district: str, kind: str, name: str) -> str | None:
        """A known active name that sounds the same (华芝路 / 华志路)."""
        same_sound = self._pinyin.get((district, kind, pinyin_of(name)))
        return same_sound if same_sound != name else None

    def similar(self, district: str, kind: str, name: str) -> str | None:
        """A known active name the new one may be a typo of: the same pinyin or one edit away."""
        same_sound = self.homophone(district, kind, name)
        if same_sound:
            return same_sound
        found = process.extractOne(name, self._names.get((district, kind), []),
                                   scorer=Levenshtein.distance, score_cutoff=1)
        return None if found is None else str(found[0])


def load_known(conn: Connection, districts: Sequence[str]) -> KnownPlaces:
    rows = conn.execute(
        """SELECT code, kind, name, district_code, status, merged_into, town_code, aliases
           FROM place WHERE district_code = ANY(%s)""", [list(districts)]).fetchall()
    places = [KnownPlace(*row[:7]) for row in rows]
    aliases = [(str(row[0]), alias) for row in rows for alias in row[7]]
    return KnownPlaces(places, aliases)
