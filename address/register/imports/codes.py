"""Address codes for many new addresses at once: places and code segments numbered in memory,
then written in one statement each (see :mod:`address.text.coding` for what a code is).

Numbering is ``count + 1`` per district and kind (places) and per parent (segments), as codes
have always been given; the district's place lock (one advisory lock per district, held to the
end of the transaction) keeps two imports from giving one number twice.
"""

from collections import defaultdict
from dataclasses import dataclass

from psycopg import Connection

from address.text.coding import (
    PLACE_CODE_LENGTH,
    blank_part,
    code_parts,
    name_grams,
    pinyin_forms,
    place_number_code,
    plain_part,
    sequence_part,
)
from address.text.standard import StandardForm


@dataclass(frozen=True)
class NewPlace:
    code: str
    kind: str
    name: str
    district_code: str
    town_code: str


def lock_places(conn: Connection, districts: list[str]) -> None:
    for district in sorted(districts):
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('place:' || %s))", [district])


class CodeBook:
    """The codes of one batch of new addresses; :meth:`write` stores the places and segments
    they needed."""

    def __init__(self, conn: Connection, places: dict[tuple[str, str, str], str]) -> None:
        self._conn = conn
        self._places = dict(places)  # (district, kind, name) → code, every status
        self._counts: dict[tuple[str, str], int] = defaultdict(int)
        for district, kind, _ in places:
            self._counts[district, kind] += 1
        self.new_places: list[NewPlace] = []
        self._segments: dict[tuple[str, str], int] = {}
        self._segment_counts: dict[str, int] = defaultdict(int)
        self._new_segments: list[tuple[str, str, int]] = []
        self._loaded: set[str] = set()

    def place(self, *, district: str, kind: str, name: str, town: str | None) -> str:
        code = self._places.get((district, kind, name))
        if code is None:
            self._counts[district, kind] += 1
            code = place_number_code(district, kind, self._counts[district, kind])
            self._places[district, kind, name] = code
            self.new_places.append(NewPlace(code, kind, name, district, town or ""))
        return code

    def load_segments(self, parents: set[str]) -> None:
        """The registered sequences under these places (before :meth:`address_code`)."""
        todo = sorted(parents - self._loaded)
        rows = self._conn.execute(
            "SELECT parent_code, text, seq FROM code_segment WHERE parent_code = ANY(%s)",
            [todo]).fetchall()
        for parent, text, seq in rows:
            self._segments[parent, text] = int(seq)
            self._segment_counts[parent] += 1
        self._loaded.update(todo)

    def _segment_seq(self, parent: str, key: str) -> int:
        seq = self._segments.get((parent, key))
        if seq is None:
            self._segment_counts[parent] += 1
            seq = self._segments[parent, key] = self._segment_counts[parent]
            self._new_segments.append((parent, key, seq))
        return seq

    def address_code(self, form: StandardForm, place: str) -> str:
        """The code of a form under its place's code (segments as plain numbers or sequences)."""
        code = place
        for kind, segment in code_parts(form.segments):
            if segment is None:
                code += blank_part(kind)
                continue
            plain = plain_part(segment)
            code += plain if plain is not None else sequence_part(
                kind, self._segment_seq(place[:PLACE_CODE_LENGTH], f"{kind}:{segment.text}"))
        return code

    def write(self) -> None:
        """Insert the new places (with their first history row) and segment sequences."""
        if self.new_places:
            rows = [(p.code, p.kind, p.name, p.district_code, p.town_code, *pinyin_forms(p.name),
                     name_grams(p.name)) for p in self.new_places]
            with self._conn.cursor() as cur:
                cur.executemany(
                    """INSERT INTO place (code, kind, name, district_code, town_code, pinyin,
                           initials, bigrams) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""", rows)
                cur.executemany(
                    """INSERT INTO place_history (place_code, version, action, name, status)
                       VALUES (%s, 1, 'create', %s, 'active')""",
                    [(p.code, p.name) for p in self.new_places])
        if self._new_segments:
            with self._conn.cursor() as cur:
                cur.executemany("INSERT INTO code_segment (parent_code, text, seq)"
                                " VALUES (%s, %s, %s)", self._new_segments)
        self.new_places, self._new_segments = [], []
