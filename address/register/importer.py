"""Importing address sources: keep every raw record, match it to the register, record conflicts.

Each row is parsed and standardized; matched to the register by exact key, then by local key in
the district, then fuzzily; a standard address is created where none matches. Conflicts recorded:

- ``far_apart``: a record matches an address whose point is more than ``far_m`` away;
- ``same_point``: a new address lies within ``same_point_m`` of another address's point;
- ``outside_admin``: the text names a town (or district) the point is not in;
- ``duplicate``: the same source lists the same address twice.

The whole import runs in the caller's one transaction; rows that cannot be used are
reported with line and reason (:class:`address.report.ImportReport`: ``created``/
``matched`` counts, the import's id and the conflicts recorded by kind in ``details``).
"""

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from address.geocode.places import resolve_place
from address.parse.parser import parse, prepare
from address.register.admin import admin_codes_at
from address.register.registry import insert_version
from address.register.sources import SourceRow
from address.report import ImportReport
from address.text.coding import PLACE_CODE_LENGTH, address_code, code_prefixes
from address.text.standard import StandardForm, standardize, with_codes
from address.transactions import require_transaction

PARSE_BATCH = 2048  # rows parsed in one batch (address.parse.parser.prepare)
FUZZY_SCORE = 0.9  # a homophone of the place (see address.geocode.places.resolve_place)


@dataclass
class ImportOptions:
    source: str
    default_district: str  # the adcode for a record whose text and point name none
    filename: str = ""
    coordsys: str = "wgs84"
    far_m: float = 100.0
    same_point_m: float = 1.0


class RowError(Exception):
    """A row that cannot be imported; the message is its reason."""


def _admin_codes(conn: Connection, row: SourceRow) -> dict[str, str]:
    if row.x is None or row.y is None:
        return {}
    return admin_codes_at(conn, lng=row.x, lat=row.y)


def _check(row: SourceRow) -> None:
    if row.error:
        raise RowError(row.error)
    if not row.text.strip():
        raise RowError("empty address text")
    if (row.x is None) != (row.y is None):
        raise RowError("only one of lng/lat is given")
    if row.x is not None and row.y is not None and not (
        math.isfinite(row.x) and math.isfinite(row.y) and -180 <= row.x <= 180
        and -90 <= row.y <= 90
    ):
        raise RowError(f"coordinates out of range: {row.x},{row.y}")


def _find(
    conn: Connection, form: StandardForm, district: str, record: SourceRow, far_m: float
) -> tuple[str, float] | None:
    """The matching current address: by key, else the same numbers under a typo of the place."""
    row = conn.execute(
        """SELECT code FROM address WHERE valid_to IS NULL AND district_code = %s
             AND (address_key = %s OR local_key = %s) ORDER BY version LIMIT 1""",
        [district, form.address_key, form.local_key],
    ).fetchone()
    if row:
        return str(row[0]), 1.0
    # A homophone of the place (漕泾村/曹泾村) with the same numbers, near the record's point.
    # Not one-edit typos: 东星村 and 东新村 are two villages.
    place = resolve_place(conn, form, district, edits=False)
    if place is None or place.exact:
        return None
    codes = code_prefixes(conn, place.code, form.segments)
    if len(codes) != len(form.segments) + 1:
        return None
    found = conn.execute(
        """SELECT code FROM address WHERE code = %s AND valid_to IS NULL
             AND (%s::float8 IS NULL OR point IS NULL OR ST_DWithin(ST_Transform(point, 4549),
                  ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 4549), %s))""",
        [codes[0], record.x, record.x, record.y, far_m]).fetchone()
    return (str(found[0]), FUZZY_SCORE) if found else None


def _conflict(
    conn: Connection, report: ImportReport, kind: str, code: str | None, record_ids: list[int],
    detail: dict[str, Any],
) -> None:
    """Record a conflict unless the same one is already open (imports can be run again)."""
    inserted = conn.execute(
        """INSERT INTO address_conflict (kind, address_code, record_ids, detail)
           SELECT %(kind)s::text, %(code)s::text, %(ids)s::bigint[], %(detail)s
           WHERE NOT EXISTS (SELECT 1 FROM address_conflict WHERE status = 'open'
               AND kind = %(kind)s::text AND address_code IS NOT DISTINCT FROM %(code)s::text
               AND record_ids = %(ids)s::bigint[])""",
        {"kind": kind, "code": code, "ids": sorted(record_ids), "detail": Jsonb(detail)},
    )
    if inserted.rowcount:
        conflicts = report.details["conflicts"]
        conflicts[kind] = conflicts.get(kind, 0) + 1


def _create(
    conn: Connection, form: StandardForm, row: SourceRow, admin: dict[str, str], district: str
) -> str:
    code = address_code(conn, form, district_code=district, town_code=admin.get("town"))
    if code is None:
        raise RowError("no road, place or village in the text: too coarse for a standard address")
    exists = conn.execute(
        "SELECT 1 FROM address WHERE code = %s AND valid_to IS NULL", [code]).fetchone()
    if not exists:  # a different spelling of an address already coded (3号 / 3号楼)
        insert_version(conn, {
            "code": code, "version": 1, "status": "active", "components": form.components,
            "canonical": form.canonical, "address_key": form.address_key,
            "local_key": form.local_key, "level": form.level,
            "place_code": code[:PLACE_CODE_LENGTH],
            "lng": row.x, "lat": row.y, "district_code": district,
            "town_code": admin.get("town") or form.codes.get("town"),
            "community_code": admin.get("community"), "grid_code": admin.get("grid"),
        })
    return code


def _record(
    conn: Connection, options: ImportOptions, row: SourceRow, form: StandardForm | None,
    code: str | None, score: float | None,
) -> int:
    result = conn.execute(
        """INSERT INTO address_source_record (source, line_no, raw_text, raw, raw_coordsys, point,
               components, address_code, match_score)
           VALUES (%s, %s, %s, %s, %s, CASE WHEN %s::float8 IS NULL THEN NULL
                   ELSE ST_SetSRID(ST_MakePoint(%s, %s), 4326) END, %s, %s, %s)
           ON CONFLICT (source, line_no) DO UPDATE SET raw_text = EXCLUDED.raw_text,
               raw = EXCLUDED.raw, point = EXCLUDED.point, components = EXCLUDED.components,
               address_code = EXCLUDED.address_code, match_score = EXCLUDED.match_score
           RETURNING id""",
        [options.source, row.line, row.text, json.dumps(row.raw, ensure_ascii=False, default=str),
         options.coordsys, row.x, row.x, row.y, Jsonb(form.components if form else {}), code,
         score],
    ).fetchone()
    assert result is not None
    return int(result[0])


def _check_conflicts(
    conn: Connection, options: ImportOptions, report: ImportReport, row: SourceRow,
    form: StandardForm, code: str, record_id: int, admin: dict[str, str], created: bool,
) -> None:
    others = [r[0] for r in conn.execute(
        "SELECT id FROM address_source_record WHERE source = %s AND address_code = %s"
        " AND id <> %s", [options.source, code, record_id]).fetchall()]
    if others:
        _conflict(conn, report, "duplicate", code, [*others, record_id],
                  {"source": options.source, "line": row.line})
    named_town = form.codes.get("town")
    if row.x is not None and named_town and admin.get("town") != named_town:
        _conflict(conn, report, "outside_admin", code, [record_id],
                  {"named_town": named_town, "point_town": admin.get("town"), "line": row.line})
    if row.x is None:
        return
    if not created:
        far = conn.execute(
            """SELECT ST_Distance(ST_Transform(point, 4549),
                      ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 4549))
               FROM address WHERE code = %s AND valid_to IS NULL AND point IS NOT NULL""",
            [row.x, row.y, code]).fetchone()
        if far and far[0] > options.far_m:
            _conflict(conn, report, "far_apart", code, [record_id],
                      {"distance_m": round(float(far[0]), 1), "limit_m": options.far_m,
                       "line": row.line})
        return
    near = conn.execute(
        """SELECT code FROM address WHERE valid_to IS NULL AND code <> %s
             AND ST_DWithin(ST_Transform(point, 4549),
                            ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 4549), %s)
           LIMIT 5""", [code, row.x, row.y, options.same_point_m]).fetchall()
    if near:
        _conflict(conn, report, "same_point", code, [record_id],
                  {"other_codes": [r[0] for r in near], "line": row.line})


def import_row(
    conn: Connection, options: ImportOptions, report: ImportReport, row: SourceRow
) -> None:
    _check(row)
    admin = _admin_codes(conn, row)
    # district and town from the point where the text has none; not the community: its name
    # would enter the standard text, and community boundaries are not part of an address
    parsed = with_codes(parse(row.text), {k: admin[k] for k in ("district", "town") if k in admin})
    form = standardize(parsed)
    district = form.district_code or options.default_district
    found = _find(conn, form, district, row, options.far_m)
    created = found is None
    code, score = found if found else (_create(conn, form, row, admin, district), 1.0)
    record_id = _record(conn, options, row, form, code, score)
    _check_conflicts(conn, options, report, row, form, code, record_id, admin, created)
    report.count("created" if created else "matched")


def import_rows(
    conn: Connection, options: ImportOptions, rows: Iterable[SourceRow]
) -> ImportReport:
    """Import inside the caller's transaction; a failing row is rolled back alone (a savepoint)
    and reported."""
    require_transaction(conn, "import_rows")
    import_id = conn.execute(
        "INSERT INTO address_import (source, filename) VALUES (%s, %s) RETURNING id",
        [options.source, options.filename]).fetchone()
    assert import_id is not None
    report = ImportReport(source=options.source, counts={"created": 0, "matched": 0},
                          details={"import_id": int(import_id[0]), "conflicts": {}})
    for chunk in _chunks(rows, PARSE_BATCH):
        prepare(row.text for row in chunk)  # one parse batch; import_row's parse() hits it
        for row in chunk:
            _import_one(conn, options, report, row)
    refresh_places(conn)
    conn.execute(
        """UPDATE address_import SET status = 'done', rows_total = %s, rows_imported = %s,
               rows_failed = %s, summary = %s, errors = %s, finished_at = now()
           WHERE id = %s""",
        [report.read, report.imported, report.failed,
         Jsonb({**report.counts, "conflicts": report.details["conflicts"]}),
         Jsonb([asdict(r) for r in report.failed_rows]), report.details["import_id"]])
    return report


def _import_one(conn: Connection, options: ImportOptions, report: ImportReport,
                row: SourceRow) -> None:
    """One row in its own savepoint: imported, or rolled back alone and reported."""
    report.read += 1
    try:
        with conn.transaction():
            import_row(conn, options, report, row)
        report.imported += 1
    except RowError as exc:
        report.fail(row.line, str(exc), row.text)


def _chunks(rows: Iterable[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    chunk: list[SourceRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def refresh_places(conn: Connection) -> None:
    """Address counts and a representative point (the middle door) for every place."""
    conn.execute(
        """UPDATE place p SET address_count = s.n, point = s.point,
               town_code = coalesce(nullif(s.town, ''), p.town_code)
           FROM (SELECT place_code, count(*) AS n, mode() WITHIN GROUP (ORDER BY town_code) AS town,
                        ST_ClosestPoint(ST_Collect(point), ST_Centroid(ST_Collect(point))) AS point
                 FROM address WHERE valid_to IS NULL AND status <> 'retired'
                 GROUP BY place_code) s
           WHERE p.code = s.place_code""")
