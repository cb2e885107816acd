"""The sample loader and the synthetic generator."""

import csv
from pathlib import Path

import geopandas as gpd

from data.generate import communities as synthetic
from spatial.sample import load_sample


def _count(conn, sql: str) -> int:
    return conn.execute(sql).fetchone()[0]


def test_loaded_counts(conn):
    levels = dict(conn.execute("SELECT level, count(*) FROM admin_area WHERE code LIKE '310118%'"
                               " GROUP BY level").fetchall())
    assert levels == {"district": 1, "town": 11, "community": 355, "grid": 953}
    # and, as context, the 5 neighbouring districts and their 17 towns along the boundary
    around = dict(conn.execute("SELECT level, count(*) FROM admin_area WHERE code NOT LIKE"
                               " '310118%' GROUP BY level").fetchall())
    assert around == {"district": 5, "town": 17}
    assert _count(conn, "SELECT count(*) FROM address_source_record") == 850
    unmatched = "SELECT count(*) FROM address_source_record WHERE address_code IS NULL"
    assert _count(conn, unmatched) == 0
    # 850 published texts, 842 standard addresses: 8 pairs are one address written twice (a
    # ninth, 杨家庄 and 杨家庄村, is two: the tagger reads 杨家庄 alone as a POI, not the village)
    # (诸陆西路1737弄 / 诸路西路1737弄, 漕泾村 / 曹泾村, 诸光路498号工地 / 诸光路498号 …)
    assert _count(conn, "SELECT count(*) FROM address WHERE valid_to IS NULL") == 842


def test_codes_are_the_real_ones(conn, sample_dir):
    with (sample_dir / "qingpu_admin_units_nbs2023.csv").open(encoding="utf-8") as f:
        real = {r["code"]: r["name"] for r in csv.DictReader(f)}
    loaded = dict(conn.execute(
        "SELECT code, name FROM admin_area WHERE level IN ('district', 'town', 'community')"
        " AND code LIKE '310118%'").fetchall())
    assert loaded == real


def test_load_is_idempotent(conn, sample_dir):
    before = _count(conn, "SELECT count(*) FROM address") + _count(
        conn, "SELECT count(*) FROM admin_area")
    with conn.transaction():
        counts = load_sample(conn, sample_dir=sample_dir)
    after = _count(conn, "SELECT count(*) FROM address") + _count(
        conn, "SELECT count(*) FROM admin_area")
    assert before == after
    assert counts["source_records"] == 850


def test_synthetic_rows_are_marked(conn):
    rows = conn.execute("SELECT level, bool_and(synthetic), bool_or(synthetic) FROM admin_area"
                        " GROUP BY level ORDER BY level").fetchall()
    assert {r[0]: (r[1], r[2]) for r in rows} == {  # neighbours are real: not synthetic
        "community": (True, True), "grid": (True, True),
        "district": (False, False), "town": (False, False)}


def test_partition_covers_each_town_without_overlap(conn):
    gaps = conn.execute(
        """SELECT t.code, ST_Area(ST_Transform(ST_SymDifference(t.geom, ST_Union(c.geom)), 4549))
           FROM admin_area t JOIN admin_area c ON c.parent_code = t.code AND c.level = 'community'
           WHERE t.level = 'town' GROUP BY t.code, t.geom""").fetchall()
    assert len(gaps) == 11
    assert all(area < 1000 for _, area in gaps)  # m², rounding at 1e-7 degrees only


def test_grid_cells_are_half_to_one_square_km(conn):
    mean, median = conn.execute(
        """SELECT avg(a), percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM (
             SELECT ST_Area(ST_Transform(geom, 4549)) / 1e6 AS a FROM admin_area
             WHERE level = 'grid') s""").fetchone()
    assert 0.5 <= mean <= 1.0
    assert 0.5 <= median <= 1.0


def test_addresses_fall_in_the_town_amap_named(conn):
    rows = conn.execute(
        """SELECT r.raw->>'street_level', t.name FROM address_source_record r
           JOIN address a ON a.code = r.address_code AND a.valid_to IS NULL
           LEFT JOIN admin_area t ON t.code = a.town_code""").fetchall()
    agree = sum(1 for amap_town, ours in rows if amap_town == ours)
    assert agree / len(rows) >= 0.97


def test_generator_is_seeded(tmp_path: Path, sample_dir: Path):
    for name in ("qingpu_towns_2022_wgs84.geojson", "qingpu_admin_units_nbs2023.csv",
                 "qingpu_addresses_covid2022_amap.csv"):
        (tmp_path / name).write_bytes((sample_dir / name).read_bytes())
    synthetic.main(tmp_path)
    for name in ("communities_synthetic.geojson", "grid_synthetic.geojson"):
        shipped = gpd.read_file(sample_dir / name)
        fresh = gpd.read_file(tmp_path / name)
        assert list(fresh["code"]) == list(shipped["code"])
        assert fresh.geometry.geom_equals_exact(shipped.geometry, tolerance=1e-6).all()
        assert fresh["synthetic"].all()
