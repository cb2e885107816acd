"""The conflicts a chunk of an import records, found in a few set-based queries:

- ``far_apart``: a record matches an address whose point is more than ``far_m`` away;
- ``same_point``: a new address lies within ``same_point_m`` of another address's point;
- ``outside_admin``: the text names a town the point is not in;
- ``duplicate``: the same source lists the same address twice.

A conflict already open (same kind, address and records) is not recorded again, so an import
can be run twice.
"""

from collections import Counter
from typing import Any

from psycopg import Connection

from address.register.imports.writes import Outcome, as_json, copy_rows

_POINTS = """unnest(%(lines)s::int[], %(codes)s::text[], %(xs)s::float8[], %(ys)s::float8[])
    AS t(line, code, x, y)"""

_FAR = f"""
SELECT t.line, t.code, ST_Distance(ST_Transform(a.point, 4549),
           ST_Transform(ST_SetSRID(ST_MakePoint(t.x, t.y), 4326), 4549)) AS d
FROM {_POINTS} JOIN address a ON a.code = t.code AND a.valid_to IS NULL AND a.point IS NOT NULL
-- closer in plain degrees than limit / 111 km is closer in metres too (a degree of longitude is
-- shorter than one of latitude): only the rest is measured in metres
WHERE NOT ST_DWithin(a.point, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326), %(limit)s / 111320.0)
  AND ST_Distance(ST_Transform(a.point, 4549),
          ST_Transform(ST_SetSRID(ST_MakePoint(t.x, t.y), 4326), 4549)) > %(limit)s
"""

# 1e-4 degrees is about 10 m: the box lets the point index answer before the metric test
_NEAR = f"""
SELECT t.line, t.code, (array_agg(a.code ORDER BY a.code))[1:5]
FROM {_POINTS} JOIN address a ON a.valid_to IS NULL AND a.code <> t.code
    AND a.point && ST_Expand(ST_SetSRID(ST_MakePoint(t.x, t.y), 4326), 1e-4)
    AND ST_DWithin(ST_Transform(a.point, 4549),
                   ST_Transform(ST_SetSRID(ST_MakePoint(t.x, t.y), 4326), 4549), %(limit)s)
GROUP BY t.line, t.code
"""

_DUPLICATES = """
SELECT address_code, array_agg(id ORDER BY id), max(line_no) FROM address_source_record
WHERE source = %s AND address_code = ANY(%s) GROUP BY address_code HAVING count(*) > 1
"""

_INSERT = """
INSERT INTO address_conflict (kind, address_code, record_ids, detail)
SELECT s.kind, s.code, s.record_ids::bigint[], s.detail FROM import_conflict_stage s
WHERE NOT EXISTS (SELECT 1 FROM address_conflict c WHERE c.status = 'open' AND c.kind = s.kind
                  AND c.address_code IS NOT DISTINCT FROM s.code
                  AND c.record_ids = s.record_ids::bigint[])
RETURNING kind
"""

Found = tuple[str, str, list[int], dict[str, Any]]  # kind, address code, record ids, detail


def _points(outcomes: list[Outcome]) -> dict[str, list[Any]]:
    located = [o for o in outcomes if o.item.row.x is not None]
    return {"lines": [o.item.row.line for o in located], "codes": [o.code for o in located],
            "xs": [o.item.row.x for o in located], "ys": [o.item.row.y for o in located]}


def _spatial(conn: Connection, outcomes: list[Outcome], records: dict[int, int],
             far_m: float, same_point_m: float) -> list[Found]:
    found: list[Found] = []
    matched = _points([o for o in outcomes if o.kind == "matched"])
    for line, code, distance in conn.execute(_FAR, {**matched, "limit": far_m}).fetchall():
        found.append(("far_apart", code, [records[line]],
                      {"distance_m": round(float(distance), 1), "limit_m": far_m, "line": line}))
    created = _points([o for o in outcomes if o.kind == "created"])
    for line, code, others in conn.execute(_NEAR, {**created, "limit": same_point_m}).fetchall():
        found.append(("same_point", code, [records[line]], {"other_codes": others, "line": line}))
    return found


def _outside_admin(outcomes: list[Outcome], records: dict[int, int]) -> list[Found]:
    found: list[Found] = []
    for o in outcomes:
        named, point = o.item.named_town, o.item.admin.get("town")
        if o.code and o.item.row.x is not None and named and named != point:
            found.append(("outside_admin", o.code, [records[o.item.row.line]],
                          {"named_town": named, "point_town": point, "line": o.item.row.line}))
    return found


def record_conflicts(conn: Connection, *, source: str, outcomes: list[Outcome],
                     records: dict[int, int], far_m: float, same_point_m: float) -> Counter[str]:
    """Find and record the chunk's conflicts; the number recorded by kind."""
    coded = [o for o in outcomes if o.code]
    found = _spatial(conn, coded, records, far_m, same_point_m) + _outside_admin(coded, records)
    codes = sorted({str(o.code) for o in coded})
    for code, ids, line in conn.execute(_DUPLICATES, [source, codes]).fetchall():
        found.append(("duplicate", code, list(ids), {"source": source, "line": line}))
    if not found:
        return Counter()
    conn.execute("""CREATE TEMP TABLE IF NOT EXISTS import_conflict_stage (kind text, code text,
                        record_ids text, detail jsonb)""")
    conn.execute("TRUNCATE import_conflict_stage")
    copy_rows(conn, "COPY import_conflict_stage FROM STDIN",
              ((kind, code, "{" + ",".join(map(str, sorted(ids))) + "}", as_json(detail))
               for kind, code, ids, detail in found))
    return Counter(row[0] for row in conn.execute(_INSERT).fetchall())
