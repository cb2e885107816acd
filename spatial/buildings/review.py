"""The review queue of n:m building matches, and the lineage of fused buildings.

A steward resolves an open item as ``merged`` (one building from all its footprints) or
``separate`` (one building per footprint of the highest-priority source). The decision is stored
with the component's digest; the next conflation run writes the buildings, and replays the
decision on every later run while the footprints stay the same.
"""

from typing import Any

from psycopg import Connection

from address.errors import BadRequest, Conflict, NotFound

DECISIONS = ("merged", "separate")

_ITEM = """
SELECT r.id, r.kind, r.status, r.component_key, r.source_row_ids, r.detail, r.reviewer, r.note,
       r.created_at, r.resolved_at,
       ST_AsGeoJSON(ST_Collect(s.geom ORDER BY s.id))::json AS geometry
FROM building_review r LEFT JOIN building_source s ON s.id = ANY(r.source_row_ids)
WHERE {where}
GROUP BY r.id ORDER BY r.id LIMIT %(limit)s OFFSET %(offset)s
"""
_KEYS = ("id", "kind", "status", "component_key", "source_row_ids", "detail", "reviewer", "note",
         "created_at", "resolved_at", "geometry")


def list_reviews(conn: Connection, *, status: str | None = "open", limit: int = 100,
                 offset: int = 0) -> list[dict[str, Any]]:
    rows = conn.execute(_ITEM.format(where="%(status)s::text IS NULL OR r.status = %(status)s"),
                        {"status": status, "limit": limit, "offset": offset}).fetchall()
    return [dict(zip(_KEYS, r, strict=True)) for r in rows]


def get_review(conn: Connection, *, review_id: int) -> dict[str, Any]:
    rows = conn.execute(_ITEM.format(where="r.id = %(id)s"),
                        {"id": review_id, "limit": 1, "offset": 0}).fetchall()
    if not rows:
        raise NotFound(f"no building review item {review_id}")
    return dict(zip(_KEYS, rows[0], strict=True))


def resolve_review(conn: Connection, *, review_id: int, decision: str, reviewer: str,
                   note: str | None = None) -> dict[str, Any]:
    """Record a steward's decision on an open item (applied by the next conflation run)."""
    if decision not in DECISIONS:
        raise BadRequest(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    item = get_review(conn, review_id=review_id)
    if item["status"] != "open":
        raise Conflict(f"review item {review_id} is already {item['status']}")
    conn.execute("UPDATE building_review SET status = %s, reviewer = %s, note = %s,"
                 " resolved_at = now() WHERE id = %s", [decision, reviewer, note, review_id])
    return get_review(conn, review_id=review_id)


def building_lineage(conn: Connection, *, building_id: int) -> list[dict[str, Any]]:
    """The source rows behind a building: role, match kind, scores, run and raw attributes."""
    rows = conn.execute(
        "SELECT l.source, l.source_id, l.role, l.match_kind, l.scores, l.run_id, r.created_at,"
        " s.attributes, s.imported_at FROM building_lineage l"
        " JOIN building_source s ON s.id = l.source_row_id"
        " LEFT JOIN conflation_run r ON r.id = l.run_id"
        " WHERE l.building_id = %s ORDER BY l.role DESC, l.source, l.source_id",
        [building_id]).fetchall()
    keys = ("source", "source_id", "role", "match_kind", "scores", "run_id", "run_at",
            "attributes", "imported_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]
