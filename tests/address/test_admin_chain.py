"""The one admin-chain look-up: district → town → community → grid of a point."""

from address.register.admin import (
    ADMIN_LEVELS,
    AdminAreas,
    admin_chain_at,
    admin_codes_at,
    admin_codes_of_points,
)

HUAZHI_559 = (121.22494, 31.17)  # 华志路559号, 青浦区


def test_the_chain_of_a_point_is_district_first(conn):
    chain = admin_chain_at(conn, lng=HUAZHI_559[0], lat=HUAZHI_559[1])
    assert chain[0].level == "district" and chain[0].code == "310118"
    levels = [unit.level for unit in chain]
    assert levels == sorted(levels, key=ADMIN_LEVELS.index)
    assert all(unit.code.startswith("310118") for unit in chain)


def test_codes_of_a_point_and_nothing_outside(conn):
    codes = admin_codes_at(conn, lng=HUAZHI_559[0], lat=HUAZHI_559[1])
    assert codes["district"] == "310118" and codes["town"].startswith("310118")
    assert admin_chain_at(conn, lng=100.0, lat=10.0) == []
    assert admin_codes_at(conn, lng=100.0, lat=10.0) == {}


def test_the_areas_in_memory_answer_as_the_query(conn):
    """AdminAreas (an import's look-up on the client) gives the query's codes: points spread
    over the district and beyond it, and points on area vertices (on the boundary: inside)."""
    import random

    areas = AdminAreas.load(conn)
    x0, y0, x1, y1 = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
        " (SELECT ST_Extent(geom) AS e FROM admin_area) s").fetchone()
    rng = random.Random(15)
    points = {i: (rng.uniform(x0 - 0.05, x1 + 0.05), rng.uniform(y0 - 0.05, y1 + 0.05))
              for i in range(3000)}
    vertices = conn.execute("SELECT ST_X(p.geom), ST_Y(p.geom) FROM (SELECT (ST_DumpPoints(geom))"
                            ".geom FROM admin_area WHERE level = 'town' LIMIT 300) p").fetchall()
    points.update({10_000 + i: (x, y) for i, (x, y) in enumerate(vertices)})
    with conn.transaction():  # the query's temporary table lives to the commit
        queried = admin_codes_of_points(conn, points)
    assert len(queried) > 1000
    assert areas.codes_of_points(points) == queried
    assert areas.codes_of_points({}) == {}
    assert areas.codes_of_points({1: (100.0, 10.0)}) == {}
