"""The SQL behind geocoding: every statement the searches run, with bound parameters."""

from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.geocode.memo import memoized, shared

_ROW = """code, status, level, canonical, components, ST_X(point) AS lng, ST_Y(point) AS lat,
          district_code, town_code, community_code, grid_code"""


def _rows(conn: Connection, sql: str, params: Any) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return [dict(r) for r in cur.execute(sql, params).fetchall()]


@memoized
def address_rows_by_key(
    conn: Connection, *, district: str, address_key: str, local_key: str
) -> list[dict[str, Any]]:
    """Current, geocodable addresses with the key (any spelling the register knows)."""
    return _rows(conn, f"""
        SELECT {_ROW} FROM address
        WHERE valid_to IS NULL AND status <> 'retired' AND point IS NOT NULL
          AND district_code = %(d)s AND (address_key = %(k)s OR local_key = %(l)s)
        UNION
        SELECT {_ROW.replace('code,', 'a.code,', 1)} FROM address_alias al
        JOIN address a ON a.code = al.address_code AND a.valid_to IS NULL
        WHERE al.normalized = %(l)s AND a.district_code = %(d)s AND a.status <> 'retired'
          AND a.point IS NOT NULL""",
        {"d": district, "k": address_key, "l": local_key})


def address_rows_by_keys(
    conn: Connection, *, districts: list[str], address_keys: list[str], local_keys: list[str]
) -> list[dict[str, Any]]:
    """What ``address_rows_by_key`` answers for many keys at once, each row with the keys it
    has (``address_key``, ``local_key``) and the alias it was found by (``alias``, or None)."""
    return _rows(conn, f"""
        SELECT {_ROW}, address_key, local_key, NULL AS alias FROM address
        WHERE valid_to IS NULL AND status <> 'retired' AND point IS NOT NULL
          AND district_code = ANY(%(d)s)
          AND (address_key = ANY(%(k)s) OR local_key = ANY(%(l)s))
        UNION ALL
        SELECT {_ROW.replace('code,', 'a.code,', 1)}, a.address_key, a.local_key, al.normalized
        FROM address_alias al
        JOIN address a ON a.code = al.address_code AND a.valid_to IS NULL
        WHERE al.normalized = ANY(%(l)s) AND a.district_code = ANY(%(d)s)
          AND a.status <> 'retired' AND a.point IS NOT NULL""",
        {"d": districts, "k": address_keys, "l": local_keys})


def address_rows_by_key_pair(
    conn: Connection, *, districts: tuple[str, str], address_keys: tuple[str, str],
    local_keys: tuple[str, str]
) -> list[dict[str, Any]]:
    """``address_rows_by_keys`` for the two keys of one query (the complaint and the address in
    it), each a parameter of its own: PostgreSQL plans array parameters anew on every run (a
    few tenths of a millisecond, more than a second round trip), scalars once."""
    return _rows(conn, f"""
        SELECT {_ROW}, address_key, local_key, NULL AS alias FROM address
        WHERE valid_to IS NULL AND status <> 'retired' AND point IS NOT NULL
          AND district_code IN (%(d1)s, %(d2)s)
          AND (address_key IN (%(k1)s, %(k2)s) OR local_key IN (%(l1)s, %(l2)s))
        UNION ALL
        SELECT {_ROW.replace('code,', 'a.code,', 1)}, a.address_key, a.local_key, al.normalized
        FROM address_alias al
        JOIN address a ON a.code = al.address_code AND a.valid_to IS NULL
        WHERE al.normalized IN (%(l1)s, %(l2)s) AND a.district_code IN (%(d1)s, %(d2)s)
          AND a.status <> 'retired' AND a.point IS NOT NULL""",
        {"d1": districts[0], "d2": districts[1], "k1": address_keys[0], "k2": address_keys[1],
         "l1": local_keys[0], "l2": local_keys[1]})


@memoized
def address_rows_by_code(conn: Connection, *, codes: list[str]) -> list[dict[str, Any]]:
    return _rows(conn, f"""
        SELECT {_ROW} FROM address WHERE code = ANY(%s) AND valid_to IS NULL
          AND status <> 'retired' AND point IS NOT NULL""", [codes])


_PLACE_ROW = "code, name, pinyin, town_code, address_count, ST_X(point) AS lng, ST_Y(point) AS lat"


@shared
def place_by_name(conn: Connection, *, district: str, kind: str,
                  name: str) -> dict[str, Any] | None:
    """The place of the kind with exactly this name (names are unique in a district and kind);
    one index probe, where :func:`place_rows` also ranks every near name."""
    rows = _rows(conn, f"""SELECT {_PLACE_ROW} FROM place
        WHERE district_code = %(d)s AND kind = %(k)s AND name = %(n)s""",
        {"d": district, "k": kind, "n": name})
    return rows[0] if rows else None


@shared
def place_rows(
    conn: Connection, *, district: str, kind: str, name: str, pinyin: str, grams: list[str]
) -> list[dict[str, Any]]:
    """Places of the kind by exact name, then same pinyin, then sharing the most characters,
    then a name the written one ends with (来电反映明珠路: the tagger took the chatter in)."""
    return _rows(conn, f"""
        SELECT {_PLACE_ROW}
        FROM (
            SELECT *, 0 AS rank FROM place WHERE district_code = %(d)s AND kind = %(k)s
                AND status = 'active'
                AND name = %(n)s
            UNION ALL
            SELECT *, 1 FROM place WHERE district_code = %(d)s AND kind = %(k)s
                AND status = 'active'
                AND pinyin = %(p)s AND name <> %(n)s
            UNION ALL
            (SELECT *, 2 FROM place WHERE district_code = %(d)s AND kind = %(k)s
                AND status = 'active'
                AND bigrams && %(g)s AND name <> %(n)s AND pinyin <> %(p)s
             ORDER BY cardinality(ARRAY(SELECT unnest(bigrams) INTERSECT SELECT unnest(%(g)s)))
                 DESC, address_count DESC
             LIMIT 5)
            UNION ALL
            (SELECT *, 3 FROM place WHERE district_code = %(d)s AND kind = %(k)s
                AND status = 'active'
                AND char_length(name) >= 2 AND char_length(name) < char_length(%(n)s)
                AND right(%(n)s, char_length(name)) = name
             ORDER BY char_length(name) DESC LIMIT 1)
        ) p ORDER BY rank, address_count DESC LIMIT 5""",
        {"d": district, "k": kind, "n": name, "p": pinyin, "g": grams})


@shared
def door_points(
    conn: Connection, *, place_code: str, kind_digit: str
) -> list[tuple[int, float, float]]:
    """(door number, lng, lat) of the door-level addresses of one kind (号/弄) on a place."""
    rows = conn.execute("""
        SELECT substr(code, 14, 4)::int, ST_X(point), ST_Y(point) FROM address
        WHERE place_code = %s AND valid_to IS NULL AND level = '门牌号' AND status <> 'retired'
          AND point IS NOT NULL AND length(code) = 17 AND substr(code, 13, 1) = %s""",
        [place_code, kind_digit]).fetchall()
    return [(int(n), float(x), float(y)) for n, x, y in rows]


@shared
def area_point(conn: Connection, *, code: str) -> dict[str, Any] | None:
    """A point inside an admin area and its standard text (district … down to the area)."""
    rows = _rows(conn, """
        WITH RECURSIVE chain AS (
            SELECT code, name, parent_code, level, 0 AS depth FROM admin_area WHERE code = %(c)s
            UNION ALL
            SELECT a.code, a.name, a.parent_code, a.level, c.depth + 1
            FROM admin_area a JOIN chain c ON a.code = c.parent_code)
        SELECT (SELECT string_agg(name, '' ORDER BY depth DESC) FROM chain
                WHERE level IN ('district', 'town', 'community')) AS canonical,
               a.name, ST_X(ST_PointOnSurface(a.geom)) AS lng,
               ST_Y(ST_PointOnSurface(a.geom)) AS lat
        FROM admin_area a WHERE a.code = %(c)s""", {"c": code})
    return rows[0] if rows else None


@shared
def place_points_by_town(conn: Connection, *, place_code: str) -> dict[str, tuple[float, float]]:
    """For each town the place's addresses are in (a road through several towns), the point of
    its address there nearest the middle of them."""
    # the nearest point of each town found apart (a few towns) rather than by sorting every
    # address of the place by town and distance (thousands on a long road)
    rows = conn.execute("""
        WITH here AS MATERIALIZED (
            SELECT town_code, point FROM address WHERE place_code = %(p)s
              AND valid_to IS NULL AND status <> 'retired' AND point IS NOT NULL
              AND town_code IS NOT NULL),
        middle AS (SELECT town_code, ST_Centroid(ST_Collect(point)) AS mid FROM here
                   GROUP BY town_code)
        SELECT m.town_code, ST_X(n.point), ST_Y(n.point) FROM middle m
        CROSS JOIN LATERAL (SELECT point FROM here h WHERE h.town_code = m.town_code
                            ORDER BY h.point <-> m.mid LIMIT 1) n
        ORDER BY m.town_code""", {"p": place_code}).fetchall()
    return {str(t): (float(x), float(y)) for t, x, y in rows}


def admin_names(conn: Connection, *, codes: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(code, name, level) of the towns and communities (those of ``codes``, or all)."""
    rows = conn.execute("""
        SELECT code, name, level FROM admin_area WHERE level IN ('town', 'community')
          AND (%(c)s::text[] IS NULL OR code = ANY(%(c)s))""", {"c": codes}).fetchall()
    return [(str(c), str(n), str(lv)) for c, n, lv in rows]
