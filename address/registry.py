"""The register of standard addresses: reads (the write side grows with imports and stewards)."""

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import NotFound

_ADDRESS_COLUMNS = """code, version, status, canonical, address_key, components, tags,
    ST_X(point) AS lng, ST_Y(point) AS lat, district_code, town_code, community_code, grid_code,
    building_id, valid_from, valid_to"""


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    lng, lat = row.pop("lng"), row.pop("lat")
    row["location"] = None if lng is None else f"{lng:.7f},{lat:.7f}"
    return row


def get_address(conn: Connection, *, code: str) -> dict[str, Any]:
    """The current version of an address, with every version in ``history``."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"SELECT {_ADDRESS_COLUMNS} FROM address WHERE code = %s ORDER BY version DESC", [code]
        ).fetchall()
    if not rows:
        raise NotFound(f"no address with code {code!r}")
    current = _shape(dict(rows[0]))
    current["history"] = [_shape(dict(r)) for r in rows]
    return current


def list_addresses(
    conn: Connection, *, town_code: str | None, community_code: str | None, status: str | None,
    limit: int, offset: int,
) -> tuple[int, list[dict[str, Any]]]:
    where = """valid_to IS NULL
        AND (%(town)s::text IS NULL OR town_code = %(town)s)
        AND (%(community)s::text IS NULL OR community_code = %(community)s)
        AND (%(status)s::text IS NULL OR status = %(status)s)"""
    params = {"town": town_code, "community": community_code, "status": status,
              "limit": limit, "offset": offset}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute(f"SELECT count(*) AS n FROM address WHERE {where}", params).fetchone()
        rows = cur.execute(
            f"SELECT {_ADDRESS_COLUMNS} FROM address WHERE {where} ORDER BY code"
            " LIMIT %(limit)s OFFSET %(offset)s", params,
        ).fetchall()
    return (total or {"n": 0})["n"], [_shape(dict(r)) for r in rows]


def addresses_geojson(conn: Connection) -> dict[str, Any]:
    """Current addresses as a FeatureCollection (for the map page)."""
    row = conn.execute(
        """SELECT json_build_object('type', 'FeatureCollection', 'features',
                  coalesce(json_agg(json_build_object('type', 'Feature', 'id', code,
                      'properties', json_build_object('code', code, 'canonical', canonical,
                          'status', status, 'town_code', town_code,
                          'community_code', community_code, 'grid_code', grid_code),
                      'geometry', ST_AsGeoJSON(point, 7)::json) ORDER BY code), '[]'::json))
           FROM address WHERE valid_to IS NULL AND point IS NOT NULL"""
    ).fetchone()
    assert row is not None
    result: dict[str, Any] = row[0]
    return result


def source_records(conn: Connection, *, code: str) -> list[dict[str, Any]]:
    """The raw source records matched to an address (restricted: raw data may carry more)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT id, source, line_no, raw_text, raw, raw_coordsys, match_score,
                      ST_X(point) AS lng, ST_Y(point) AS lat, created_at
               FROM address_source_record WHERE address_code = %s ORDER BY source, line_no""",
            [code],
        ).fetchall()
    if not rows:
        get_address(conn, code=code)  # 404 for an unknown code, [] for one with no records
    return [_shape(dict(r)) for r in rows]
