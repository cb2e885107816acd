"""The register of standard addresses: reads (the write side grows with imports and stewards)."""

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from address.errors import BadRequest, NotFound
from address.register.admin import ADMIN_LEVELS, admin_codes_at
from address.transactions import require_transaction

_ADDRESS_COLUMNS = """code, version, status, level, canonical, address_key, local_key, components,
    tags, place_code,
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
    current["aliases"] = aliases(conn, code=code)
    return current


def aliases(conn: Connection, *, code: str) -> list[dict[str, Any]]:
    """The other spellings the register knows for an address (the exact search finds them)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return [dict(r) for r in cur.execute(
            "SELECT text, normalized, created_at FROM address_alias WHERE address_code = %s"
            " ORDER BY created_at, id", [code]).fetchall()]


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
                  coalesce(json_agg(json_build_object('type', 'Feature',
                      'properties', json_build_object('code', code,
                          'formatted_address', canonical, 'status', status,
                          'towncode', town_code, 'community_code', community_code,
                          'grid_code', grid_code,
                          'canonical', canonical, 'town_code', town_code),  -- deprecated names
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


# --- writing: every change is a new version under the same code -------------------------------

def insert_version(conn: Connection, row: dict[str, Any]) -> None:
    """Insert one address version; ``row`` carries every column the INSERT names."""
    conn.execute(
        """INSERT INTO address (code, version, status, components, canonical, address_key,
               local_key, level, place_code, point, district_code, town_code, community_code,
               grid_code, tags, building_id)
           VALUES (%(code)s, %(version)s, %(status)s, %(components)s, %(canonical)s,
               %(address_key)s, %(local_key)s, %(level)s, %(place_code)s,
               CASE WHEN %(lng)s::float8 IS NULL THEN NULL
                    ELSE ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) END,
               %(district_code)s, %(town_code)s, %(community_code)s, %(grid_code)s, %(tags)s,
               %(building_id)s)""",
        {**row, "components": Jsonb(row["components"]), "tags": Jsonb(row.get("tags") or {}),
         "building_id": row.get("building_id")},
    )


def current_row(conn: Connection, *, code: str) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """SELECT code, version, status, components, canonical, address_key, local_key,
                      level, place_code, ST_X(point) AS lng, ST_Y(point) AS lat, district_code,
                      town_code, community_code, grid_code, tags, building_id
               FROM address WHERE code = %s AND valid_to IS NULL FOR UPDATE""", [code],
        ).fetchone()
    if row is None:
        raise NotFound(f"no current address with code {code!r}")
    return dict(row)


def current_version(conn: Connection, *, code: str) -> int:
    """The version number of the address's current version."""
    return int(current_row(conn, code=code)["version"])


def _unchanged(row: dict[str, Any], changes: dict[str, Any]) -> bool:
    """Whether applying the changes would leave the row as it is (points to ~1 cm)."""
    def same(key: str, value: Any) -> bool:
        if key in ("lng", "lat") and row[key] is not None and value is not None:
            return abs(float(row[key]) - float(value)) < POINT_TOLERANCE
        return bool(row[key] == value)

    return all(same(key, value) for key, value in changes.items())


def new_version(conn: Connection, *, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Close the current version and add the next one with ``changes`` applied; nothing is
    written when the changes change nothing."""
    unknown = set(changes) - _CHANGEABLE
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))}")
    require_transaction(conn, "new_version")
    row = current_row(conn, code=code)
    if _unchanged(row, changes):
        return get_address(conn, code=code)
    if "lng" in changes or "lat" in changes:  # a moved point may change the admin chain
        admin = admin_codes_at(conn, lng=changes["lng"], lat=changes["lat"])
        changes = {**changes, **{f"{level}_code": admin.get(level) for level in ADMIN_LEVELS}}
    conn.execute("UPDATE address SET valid_to = now() WHERE code = %s AND valid_to IS NULL",
                 [code])
    row.update(changes)
    row["version"] += 1
    insert_version(conn, row)
    return get_address(conn, code=code)


POINT_TOLERANCE = 1e-7  # degrees, about 1 cm (the 7 decimals of a location)
_CHANGEABLE = {"status", "lng", "lat", "tags", "building_id", "components", "canonical"}


def retire_address(conn: Connection, *, code: str) -> dict[str, Any]:
    return new_version(conn, code=code, changes={"status": "retired"})


def add_alias(conn: Connection, *, code: str, text: str, normalized: str) -> None:
    conn.execute(
        """INSERT INTO address_alias (address_code, text, normalized)
           SELECT %(code)s::text, %(text)s::text, %(normalized)s::text
           WHERE NOT EXISTS (SELECT 1 FROM address_alias
                             WHERE address_code = %(code)s::text
                               AND normalized = %(normalized)s::text)""",
        {"code": code, "text": text, "normalized": normalized},
    )
