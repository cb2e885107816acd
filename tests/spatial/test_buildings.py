"""Building import and conflation: match kinds, lineage, review queue, incremental re-runs."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from address.errors import BadRequest, Conflict
from address.report import FailedRow
from spatial.buildings.conflate import conflate
from spatial.buildings.ingest import import_buildings, read_footprints, store_footprints
from spatial.buildings.match import (
    _group_medians,
    classify,
    components,
    match_pairs,
    merge_attributes,
)
from spatial.buildings.review import building_lineage, list_reviews, resolve_review

X0, Y0 = 610_000.0, 3_447_000.0  # EPSG:4549, inside Qingpu


@pytest.fixture(autouse=True)
def _inside_a_transaction(conn):
    """Open the test's transaction now, so ``conn.transaction()`` blocks become savepoints
    (on an idle connection they would commit, and outlive the test)."""
    conn.execute("SELECT 1")


def _frame(rows: list[tuple[str, tuple[float, float, float, float], dict]]) -> gpd.GeoDataFrame:
    geoms = [box(X0 + a, Y0 + b, X0 + c, Y0 + d) for _, (a, b, c, d), _ in rows]
    data = [dict(source_id=sid, **attrs) for sid, _, attrs in rows]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4549).to_crs(4326)


# survey (priority) and osm: a 1:1, a 1:n (osm parts), an n:1 (survey parts), an n:m, lone ones
SURVEY = [
    ("s1", (0, 0, 20, 10), {"floors": 6}),
    ("s2", (40, 0, 80, 12), {"floors": 12}),
    ("s3a", (100, 0, 110, 10), {"floors": 2}), ("s3b", (110, 0, 120, 10), {"floors": 3}),
    ("s4a", (140, 0, 150, 10), {}), ("s4b", (150, 0, 165, 10), {}),
    ("s5", (200, 0, 210, 8), {"floors": 1}),
]
OSM = [
    ("o1", (0.5, 0.3, 20.5, 10.3), {"building": "apartments", "height": "19"}),
    ("o2a", (40, 0, 60, 12), {"building": "yes"}), ("o2b", (60, 0, 80, 12), {"building": "yes"}),
    ("o3", (100.4, 0.2, 120.4, 10.2), {"building": "house"}),
    ("o4a", (140, 0, 158, 10), {}), ("o4b", (158, 0, 170, 10), {}),
    ("o6", (300, 0, 305, 5), {"building": "shed"}),
]


@pytest.fixture
def two_sources(conn):
    with conn.transaction():
        store_footprints(conn, frame=_frame(SURVEY), source="t_survey")
        store_footprints(conn, frame=_frame(OSM), source="t_osm")
    return conn


def test_match_kinds_on_hand_made_footprints():
    frame = pd_concat_metric()
    rank = np.array([0] * len(SURVEY) + [1] * len(OSM))
    geoms = np.asarray(frame.geometry.values, dtype=object)
    keys = [r[0] for r in SURVEY + OSM]
    comps = components(match_pairs(geoms, rank), rank, keys)
    kinds = {frozenset(keys[m] for m in c.members): c.kind for c in comps}
    assert kinds[frozenset({"s1", "o1"})] == "1:1"
    assert kinds[frozenset({"s2", "o2a", "o2b"})] == "1:n"
    assert kinds[frozenset({"s3a", "s3b", "o3"})] == "n:1"
    assert kinds[frozenset({"s4a", "s4b", "o4a", "o4b"})] == "n:m"
    assert kinds[frozenset({"s5"})] == kinds[frozenset({"o6"})] == "unmatched"


def pd_concat_metric() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        geometry=[box(X0 + a, Y0 + b, X0 + c, Y0 + d) for _, (a, b, c, d), _ in SURVEY + OSM],
        crs=4549)


def test_group_medians_are_numpys_medians_per_group():
    """Odd and even groups, ties, groups of one: what ``np.median`` gives for each group."""
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 300, 5000) * 1_000_003 + rng.integers(-3, 3, 5000)
    values = np.round(rng.normal(0, 2, 5000), 1)  # rounded: many ties
    keys, starts, counts = np.unique(np.sort(groups), return_index=True, return_counts=True)
    got = _group_medians(groups, values, starts, counts)
    assert counts.min() == 1 and (counts % 2 == 0).any()
    assert np.array_equal(got, [np.median(values[groups == k]) for k in keys])


def test_classify_and_attribute_priority():
    assert classify({0: 1, 1: 1, 2: 1}, 0) == "1:1"
    assert classify({0: 2, 1: 1}, 0) == "n:1"
    merged = merge_attributes([{"_source": "a", "name": "甲", "floors": None},
                               {"_source": "b", "name": "乙", "building:levels": "7"}])
    assert merged["name"] == "甲" and merged["floors"] == 7.0


def test_conflation_writes_kinds_lineage_and_review(two_sources):
    conn = two_sources
    with conn.transaction():
        counts = conflate(conn, sources=["t_survey", "t_osm"])
    assert counts["1:1"] == 1 and counts["1:n"] == 1 and counts["n:1"] == 1
    assert counts["unmatched"] == 2 and counts["review"] == 1
    row = conn.execute("SELECT id, floors, height_m, attributes FROM building b WHERE"
                       " match_kind = '1:1'").fetchone()
    assert row[1] == 6 and row[2] == 19.0 and row[3]["use"] == "apartments"
    lineage = building_lineage(conn, building_id=row[0])
    assert {(x["source_id"], x["role"]) for x in lineage} == {("s1", "geometry"),
                                                               ("o1", "attributes")}
    assert lineage[0]["scores"]["iou"] > 0.8
    flagged = conn.execute("SELECT count(*) FROM building WHERE unmatched").fetchone()[0]
    assert flagged == 2
    [item] = list_reviews(conn)
    assert len(item["source_row_ids"]) == 4 and item["geometry"]["type"] == "GeometryCollection"


def test_rerun_changes_only_what_changed(two_sources):
    conn = two_sources
    with conn.transaction():
        conflate(conn, sources=["t_survey", "t_osm"])
    ids = dict(conn.execute("SELECT component_key, id FROM building").fetchall())
    with conn.transaction():
        again = conflate(conn, sources=["t_survey", "t_osm"])
    assert again["inserted"] == 0 and again["deleted"] == 0 and again["review_opened"] == 0
    moved = [r if r[0] != "o1" else ("o1", (1, 0.3, 21, 10.3), r[2]) for r in OSM]
    with conn.transaction():
        result = store_footprints(conn, frame=_frame(moved), source="t_osm")
    assert result.counts["updated"] == 1 and result.counts["unchanged"] == len(OSM) - 1
    with conn.transaction():
        third = conflate(conn, sources=["t_survey", "t_osm"])
    assert third["inserted"] == 1 and third["deleted"] == 1
    after = dict(conn.execute("SELECT component_key, id FROM building").fetchall())
    assert len(set(ids.items()) & set(after.items())) == len(ids) - 1


def test_steward_decision_is_applied_and_replayed(two_sources):
    conn = two_sources
    with conn.transaction():
        conflate(conn, sources=["t_survey", "t_osm"])
    [item] = list_reviews(conn)
    resolve_review(conn, review_id=item["id"], decision="separate", reviewer="t")
    with pytest.raises(Conflict):
        resolve_review(conn, review_id=item["id"], decision="merged", reviewer="t")
    with conn.transaction():
        counts = conflate(conn, sources=["t_survey", "t_osm"])
    assert counts["n:m"] == 2 and counts["review"] == 0
    with conn.transaction():
        assert conflate(conn, sources=["t_survey", "t_osm"])["inserted"] == 0


def test_conflate_needs_imported_sources(conn):
    with pytest.raises(BadRequest), conn.transaction():
        conflate(conn, sources=["nobody"])


def _osm_xml(path: Path) -> None:
    nodes, ways = [], []
    corners = [(121.10, 31.15), (121.1002, 31.15), (121.1002, 31.1501), (121.10, 31.1501)]
    for i, (lng, lat) in enumerate(corners, start=1):
        nodes.append(f'<node id="{i}" version="1" lat="{lat}" lon="{lng}"/>')
    refs = "".join(f'<nd ref="{i}"/>' for i in (1, 2, 3, 4, 1))
    ways.append(f'<way id="77" version="1">{refs}<tag k="building" v="residential"/>'
                '<tag k="building:levels" v="5"/><tag k="addr:housenumber" v="12号"/>'
                '<tag k="height" v="16"/><tag k="source" v="survey"/></way>')
    path.write_text('<?xml version="1.0"?><osm version="0.6">' + "".join(nodes + ways)
                    + "</osm>", encoding="utf-8")


def test_osm_file_keeps_building_tags(tmp_path):
    path = tmp_path / "tiny.osm"
    _osm_xml(path)
    frame = read_footprints(path)
    assert list(frame.source_id) == ["w77"]
    row = frame.iloc[0]
    assert row["building"] == "residential" and row["building:levels"] == "5"
    assert row["addr:housenumber"] == "12号" and "source" not in frame.columns


@pytest.mark.parametrize("driver,suffix", [("GeoJSON", ".geojson"), ("GPKG", ".gpkg"),
                                           ("ESRI Shapefile", ".shp")])
def test_import_formats_and_report_rejects(conn, tmp_path, driver, suffix):
    frame = _frame(SURVEY[:3]).to_crs(4549)  # any CRS: stored in 4326
    frame = gpd.GeoDataFrame(
        {"source_id": [*frame.source_id, "bad"], "floors": [6, 12, 2, 0]},
        geometry=[*frame.geometry, None], crs=4549)
    path = tmp_path / f"b{suffix}"
    frame.to_file(path, driver=driver, engine="pyogrio")
    with conn.transaction():
        result = import_buildings(conn, path=path, source="t_file")
    assert (result.counts["inserted"], result.failed) == (3, 1)
    assert result.failed_rows[0] == FailedRow(4, "not a polygon", "bad")
    with conn.transaction():
        again = import_buildings(conn, path=path, source="t_file")
    assert again.counts["unchanged"] == 3 and again.counts["inserted"] == 0
    assert again.counts["updated"] == 0
    lng = conn.execute("SELECT ST_X(ST_Centroid(geom)), attributes FROM building_source"
                       " WHERE source = 't_file' AND source_id = 's1'").fetchone()
    assert 120.8 < lng[0] < 121.4 and json.dumps(lng[1]).find("floors") >= 0


def test_import_of_a_missing_file_is_a_bad_request(conn, tmp_path):
    with pytest.raises(BadRequest), conn.transaction():
        import_buildings(conn, path=tmp_path / "nope.gpkg", source="x")
