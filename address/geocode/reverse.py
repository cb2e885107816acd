"""Reverse geocoding: a WGS84 point → the nearest standard addresses, the admin chain, the road."""

from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.errors import BadRequest
from address.register.admin import admin_chain_at

MAX_RADIUS_M = 5000.0

# KNN on the GiST index (<->, in degrees) picks the nearest few; the exact distance in metres is
# then computed on the spheroid for just those.
_NEAREST = """
SELECT code, canonical, level, components, district_code, town_code, community_code, grid_code,
       ST_X(point) AS lng, ST_Y(point) AS lat, distance_m FROM (
    SELECT *, ST_Distance(point::geography, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)::geography)
              AS distance_m
    FROM address
    WHERE valid_to IS NULL AND status <> 'retired' AND point IS NOT NULL
    ORDER BY point <-> ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)
    LIMIT %(k)s) nearest
WHERE distance_m <= %(r)s ORDER BY distance_m
"""

# the road of the nearest door on a road, within the radius like the addresses (never a road
# kilometres away)
_NEAREST_ROAD = """
SELECT code, name, distance_m FROM (
    SELECT p.code, p.name, ST_Distance(a.point::geography,
           ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)::geography) AS distance_m
    FROM address a JOIN place p ON p.code = a.place_code AND p.kind = 'road'
    WHERE a.valid_to IS NULL AND a.status <> 'retired' AND a.point IS NOT NULL
    ORDER BY a.point <-> ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326) LIMIT 1) nearest
WHERE distance_m <= %(r)s
"""

@dataclass(frozen=True)
class ReverseRequest:
    lng: float
    lat: float
    radius_m: float = 100.0
    limit: int = 5


def reverse_geocode(conn: Connection, req: ReverseRequest) -> dict[str, Any]:
    if not 0 < req.radius_m <= MAX_RADIUS_M:
        raise BadRequest(f"radius must be in (0, {MAX_RADIUS_M:g}] metres")
    params = {"x": req.lng, "y": req.lat, "r": req.radius_m, "k": req.limit}
    with conn.cursor(row_factory=dict_row) as cur:
        addresses = [dict(r) for r in cur.execute(_NEAREST, params).fetchall()]
        road = cur.execute(_NEAREST_ROAD, params).fetchone()
    chain = [{"code": a.code, "name": a.name, "level": a.level}
             for a in admin_chain_at(conn, lng=req.lng, lat=req.lat)]
    for a in addresses:
        a["distance_m"] = round(float(a["distance_m"]), 1)
    by_level = {a["level"]: a for a in chain}
    return {
        "addresses": addresses,
        "admin_chain": chain,
        "adcode": by_level.get("district", {}).get("code"),
        "towncode": by_level.get("town", {}).get("code"),
        "community_code": by_level.get("community", {}).get("code"),
        "grid_code": by_level.get("grid", {}).get("code"),
        "road": None if road is None else {
            "code": road["code"], "name": road["name"],
            "distance_m": round(float(road["distance_m"]), 1)},
    }
