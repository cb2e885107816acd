"""One chunk of staged rows through the import: parse, match, decide, write.

:func:`import_chunk` is the unit a job runs (in its own committed transaction, or all chunks in
one): it reads the staged rows after a line, decides each one's outcome and writes them:

- **matched**: the register has the address (key, local key, or a homophone of its place with
  the same door near the point);
- **created**: a new address on a known place (or, for a trusted source, a new place);
- **pending**: the address would make a new road or place that no other source has named, or one
  a typo away from a known one (华芝路 / 华志路): held for a steward, not in the register;
- **rejected**: not usable or not an address of the register's districts (the reason, by line).
"""

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from psycopg import Connection

from address.register.admin import AdminAreas, admin_codes_of_points
from address.register.imports.codes import CodeBook, lock_places
from address.register.imports.conflicts import record_conflicts
from address.register.imports.known import KnownPlaces, load_known, pinyin_of
from address.register.imports.matching import Key, match_keys
from address.register.imports.rows import Reader, RowForm, parse_rows, read_texts, row_error
from address.register.imports.writes import (
    Outcome,
    write_addresses,
    write_errors,
    write_pending,
    write_records,
)
from address.register.sources import SourceRow
from address.statistics import fresh_statistics
from address.text.standard import with_place_name

# what a chunk reads and grows, planned on statistics (fresh_statistics)
REGISTER_TABLES = ["address", "address_source_record", "place", "code_segment",
                   "address_conflict", "address_pending"]
TYPO_SCORE = 0.9  # a homophone of the place with the same door (see matching)


@dataclass(frozen=True)
class ImportOptions:
    source: str
    districts: tuple[str, ...]  # the register's districts; the first is the default
    filename: str = ""
    coordsys: str = "wgs84"
    far_m: float = 100.0
    same_point_m: float = 1.0
    review_new_places: bool = True  # False for the register's founding source

    @property
    def default_district(self) -> str:
        return self.districts[0]

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "districts": list(self.districts),
                "filename": self.filename, "coordsys": self.coordsys, "far_m": self.far_m,
                "same_point_m": self.same_point_m, "review_new_places": self.review_new_places}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ImportOptions":
        return cls(**{**data, "districts": tuple(data["districts"])})


def _rename_aliases(items: list[RowForm], known: KnownPlaces) -> None:
    """Rows naming a place by an old name (or a merged place) are read under its current name."""
    for item in items:
        form = item.form
        if form is None or form.place is None:
            continue
        place = known.resolve(item.district, *form.place)
        if place is not None and place.name != form.place[1]:
            item.form = with_place_name(form, place.name)


def _keys(items: list[RowForm], known: KnownPlaces) -> list[Key]:
    keys: list[Key] = []
    for item in items:
        form = item.form
        assert form is not None and form.place is not None
        kind, name = form.place
        sound = None if known.resolve(item.district, kind, name) else known.homophone(
            item.district, kind, name)
        typo = form.local_key.replace(name.upper(), sound.upper(), 1) if sound else None
        keys.append((item.row.line, item.district, form.address_key, form.local_key, typo,
                     item.row.x, item.row.y))
    return keys


# two range probes of the (place, source) index per place: ``source <> %s`` would read every
# record of the place, the import's own included (a 1,000,000-row import reads its own records
# again at every chunk)
_SEEN_ELSEWHERE = """
SELECT p FROM unnest(%(places)s::text[]) AS p
WHERE EXISTS (SELECT 1 FROM address_source_record r WHERE r.place = p AND r.source < %(source)s)
   OR EXISTS (SELECT 1 FROM address_source_record r WHERE r.place = p AND r.source > %(source)s)
"""


def _seen_elsewhere(conn: Connection, source: str, places: set[str]) -> set[str]:
    rows = conn.execute(_SEEN_ELSEWHERE, {"places": sorted(places), "source": source}).fetchall()
    return {str(r[0]) for r in rows}


def _decide(item: RowForm, known: KnownPlaces, seen: set[str],
            options: ImportOptions) -> Outcome:
    """A row no address matched: created under a known place, pending, or rejected."""
    assert item.form is not None and item.form.place is not None
    kind, name = item.form.place
    place = known.resolve(item.district, kind, name)
    if place is not None and place.status == "retired":
        return Outcome(item, "rejected", reason=f"the {kind} {name} is retired")
    if place is not None or not options.review_new_places:
        return Outcome(item, "created")
    similar = known.similar(item.district, kind, name)
    if similar:
        return Outcome(item, "pending", similar_to=similar,
                       reason=f"new {kind} {name}, a typo away from the known {similar}")
    if f"{kind}:{name}" not in seen:
        return Outcome(item, "pending", reason=f"new {kind} {name}, named by no other source")
    return Outcome(item, "created")


def _code(book: CodeBook, outcomes: list[Outcome]) -> list[Outcome]:
    """Codes for the rows to create; a code given twice is created once and matched after."""
    places = []
    for o in outcomes:
        form = o.item.form
        assert form is not None and form.place is not None
        places.append(book.place(district=o.item.district, kind=form.place[0],
                                 name=form.place[1], town=o.item.admin.get("town")
                                 or form.codes.get("town")))
    book.load_segments(set(places))
    for o, place in zip(outcomes, places, strict=True):
        assert o.item.form is not None
        o.code, o.score = book.address_code(o.item.form, place), 1.0
    return outcomes


def _metres(a: SourceRow, b: SourceRow) -> float:
    """Great-circle distance of two rows' points (0 when either has none)."""
    if a.x is None or a.y is None or b.x is None or b.y is None:
        return 0.0
    la, lb = math.radians(a.y), math.radians(b.y)
    h = (math.sin((lb - la) / 2) ** 2
         + math.cos(la) * math.cos(lb) * math.sin(math.radians(b.x - a.x) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _match_within(created: list[Outcome], known: KnownPlaces, far_m: float) -> list[Outcome]:
    """As if row by row: a row naming the address an earlier row of the chunk makes (same local
    key, or the same door under a new place that sounds the same, near it: 漕泾村 / 曹泾村)
    matches it. The rows that make an address. The sound-alike must lie within ``far_m``, as
    for a match in the register (金巷村 in 夏阳 is not 金项村 13 km away in 白鹤)."""
    by_key: dict[tuple[str, str], Outcome] = {}
    sounds: dict[tuple[str, str, str], str] = {}
    fresh = []
    for o in created:
        form, district = o.item.form, o.item.district
        assert form is not None and form.place is not None
        kind, name = form.place
        new_place = known.resolve(district, kind, name) is None
        twin, score = by_key.get((district, form.local_key)), 1.0
        other = sounds.get((district, kind, pinyin_of(name))) if new_place else None
        if twin is None and other and other != name:
            twin = by_key.get((district, form.local_key.replace(name.upper(), other.upper(), 1)))
            if twin is not None and _metres(twin.item.row, o.item.row) > far_m:
                twin = None
            score = TYPO_SCORE
        if twin is not None:
            o.kind, o.twin, o.score = "matched", twin, score
            continue
        by_key[district, form.local_key] = o
        if new_place:
            sounds.setdefault((district, kind, pinyin_of(name)), name)
        fresh.append(o)
    return fresh


def _create(conn: Connection, known: KnownPlaces, outcomes: list[Outcome],
            far_m: float) -> None:
    """Write the new addresses (and places, segments); codes already current are matches."""
    twins = outcomes
    outcomes = _match_within(outcomes, known, far_m)
    if not outcomes:
        return
    lock_places(conn, sorted({o.item.district for o in outcomes}))
    book = CodeBook(conn, known.codes())
    _code(book, outcomes)
    codes = sorted({str(o.code) for o in outcomes})
    existing = {r[0] for r in conn.execute(
        "SELECT code FROM address WHERE code = ANY(%s) AND valid_to IS NULL", [codes])}
    fresh: list[Outcome] = []
    for o in outcomes:
        if o.code in existing:
            o.kind = "matched"  # another spelling of an address already coded (3号 / 3号楼)
        else:
            existing.add(str(o.code))
            fresh.append(o)
    book.write()
    write_addresses(conn, fresh)
    for o in twins:
        if o.twin is not None:
            o.code = o.twin.code


def decide_rows(conn: Connection, options: ImportOptions, items: list[RowForm]) -> list[Outcome]:
    """Every parsed row's outcome, with the new addresses, places and segments written."""
    known = load_known(conn, options.districts)
    outcomes = [Outcome(i, "rejected", reason=i.reason) for i in items if i.reason]
    usable = [i for i in items if not i.reason]
    _rename_aliases(usable, known)
    found = match_keys(conn, _keys(usable, known), far_m=options.far_m, typo_score=TYPO_SCORE)
    rest = [i for i in usable if i.row.line not in found]
    outcomes += [Outcome(i, "matched", *found[i.row.line]) for i in usable
                 if i.row.line in found]
    named = {f"{i.form.place[0]}:{i.form.place[1]}" for i in rest if i.form and i.form.place}
    seen = _seen_elsewhere(conn, options.source, named) if options.review_new_places else set()
    decided = [_decide(i, known, seen, options) for i in rest]
    _create(conn, known, [o for o in decided if o.kind == "created"], options.far_m)
    return outcomes + decided


def staged_rows(conn: Connection, import_id: int, after_line: int,
                size: int) -> list[SourceRow]:
    rows = conn.execute(
        """SELECT line, text, lng, lat, raw, error FROM import_row
           WHERE import_id = %s AND line > %s ORDER BY line LIMIT %s""",
        [import_id, after_line, size]).fetchall()
    return [SourceRow(line, text, x, y, raw, error) for line, text, x, y, raw, error in rows]


def parse_chunk(conn: Connection, options: ImportOptions, rows: list[SourceRow],
                areas: AdminAreas | None = None,
                reader: Reader = read_texts) -> Callable[[], list[RowForm]]:
    """Look up the rows' admin areas (in ``areas``, else on ``conn``, now) and return the parse
    to run: pure code, so a caller may run it on another thread while ``conn`` does other work.
    """
    points = {r.line: (r.x, r.y) for r in rows
              if r.x is not None and r.y is not None and row_error(r) is None}
    admin = areas.codes_of_points(points) if areas is not None \
        else admin_codes_of_points(conn, points)
    return partial(parse_rows, rows, admin, options.districts, options.default_district, reader)


def write_chunk(conn: Connection, *, import_id: int, options: ImportOptions,
                items: list[RowForm]) -> Counter[str]:
    """Decide and write parsed rows inside the caller's transaction; the counts of outcomes
    and, under ``conflict:<kind>``, of conflicts recorded."""
    # statistics of a register just loaded, or grown by the chunks before in this transaction
    # (ANALYZE then holds the tables against autovacuum and other ANALYZEs until the commit;
    # readers and writers are not held)
    fresh_statistics(conn, tables=REGISTER_TABLES, rows=len(items))
    outcomes = decide_rows(conn, options, items)
    kept = [o for o in outcomes if o.kind != "rejected"]
    records = write_records(conn, options.source, options.coordsys, kept)
    write_pending(conn, import_id, options.source, [o for o in kept if o.kind == "pending"])
    write_errors(conn, import_id, [o for o in outcomes if o.kind == "rejected"])
    conflicts = record_conflicts(conn, source=options.source, outcomes=kept, records=records,
                                 far_m=options.far_m, same_point_m=options.same_point_m)
    counts = Counter(o.kind for o in outcomes)
    counts.update({f"conflict:{kind}": n for kind, n in conflicts.items()})
    return counts


def import_chunk(conn: Connection, *, import_id: int, options: ImportOptions,
                 rows: list[SourceRow]) -> Counter[str]:
    """Import staged rows (one chunk) inside the caller's transaction (see :func:`write_chunk`)."""
    items = parse_chunk(conn, options, rows)()
    return write_chunk(conn, import_id=import_id, options=options, items=items)
