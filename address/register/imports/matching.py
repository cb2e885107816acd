"""Set-based look-up of a chunk in the register: the
addresses the rows' keys name (address key, local key, or the local key under the known place a
new name sounds like, 华芝路 for 华志路, when the same door exists there near the point)."""

from psycopg import Connection

from address.register.imports.writes import copy_rows

_MATCH = """
SELECT DISTINCT ON (line) line, code, score FROM (
    SELECT k.line, a.code, 1.0 AS score, a.version FROM import_key_stage k
    JOIN address a ON a.address_key = k.address_key AND a.district_code = k.district
        AND a.valid_to IS NULL
    UNION ALL
    SELECT k.line, a.code, 1.0, a.version FROM import_key_stage k
    JOIN address a ON a.local_key = k.local_key AND a.district_code = k.district
        AND a.valid_to IS NULL
    UNION ALL
    SELECT k.line, a.code, %(typo)s, a.version FROM import_key_stage k
    JOIN address a ON a.local_key = k.typo_key AND a.district_code = k.district
        AND a.valid_to IS NULL
    WHERE k.lng IS NULL OR a.point IS NULL OR ST_DWithin(ST_Transform(a.point, 4549),
        ST_Transform(ST_SetSRID(ST_MakePoint(k.lng, k.lat), 4326), 4549), %(far)s)
) m ORDER BY line, score DESC, version
"""

Key = tuple[int, str, str, str, str | None, float | None, float | None]


def match_keys(conn: Connection, keys: list[Key], *, far_m: float,
               typo_score: float) -> dict[int, tuple[str, float]]:
    """line → (code, score) for the keys (line, district, address key, local key, typo key,
    lng, lat) that name a current address."""
    conn.execute("""CREATE TEMP TABLE IF NOT EXISTS import_key_stage (line int, district text,
                        address_key text, local_key text, typo_key text, lng float8,
                        lat float8)""")
    conn.execute("TRUNCATE import_key_stage")
    copy_rows(conn, "COPY import_key_stage FROM STDIN", keys)
    conn.execute("ANALYZE import_key_stage")
    rows = conn.execute(_MATCH, {"typo": typo_score, "far": far_m}).fetchall()
    return {int(line): (str(code), float(score)) for line, code, score in rows}
