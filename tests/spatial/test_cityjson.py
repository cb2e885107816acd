"""CityJSON 2.0 and CityJSONSeq exports, validated against the official 2.0.2 schemas."""

import json

from address.register.registry import new_version
from spatial.buildings.cityjson_schema import schema_errors, seq_errors
from spatial.buildings.export import buildings_version, export_lod1, export_lod1_seq

TOWN = "310118002"  # 盈浦街道


def _buildings(doc):
    return {k: o for k, o in doc["CityObjects"].items() if o["type"] == "Building"}


def test_every_fused_building_is_exported_valid(conn):
    doc = export_lod1(conn)
    assert schema_errors(doc) == []
    total, without = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE height_m IS NULL) FROM building").fetchone()
    buildings = _buildings(doc)
    assert len(buildings) == total == doc["metadata"]["buildings"]
    flagged = [o for o in buildings.values() if o["attributes"]["height_fallback"]]
    assert len(flagged) == without == doc["metadata"]["buildingsWithFallbackHeight"]
    assert all(o["attributes"]["height_source"] == "fallback" and o["attributes"]["height_m"] > 0
               for o in flagged)
    assert doc["metadata"]["referenceSystem"] == "https://www.opengis.net/def/crs/EPSG/0/4549"


def test_a_multipolygon_footprint_is_a_solid_with_building_parts(conn):
    doc = export_lod1(conn)
    multi = conn.execute("SELECT id FROM building WHERE ST_NumGeometries(geom) > 1").fetchall()
    assert multi
    for (bid,) in multi:
        building = doc["CityObjects"][f"building-{bid}"]
        assert building["geometry"][0]["type"] == "Solid" and building["children"]
        for child in building["children"]:
            part = doc["CityObjects"][child]
            assert part["type"] == "BuildingPart" and part["parents"] == [f"building-{bid}"]


def test_semantic_surfaces_and_addresses_with_codes(conn):
    doc = export_lod1(conn)
    geometry = next(iter(doc["CityObjects"].values()))["geometry"][0]
    types = [s["type"] for s in geometry["semantics"]["surfaces"]]
    assert types == ["GroundSurface", "RoofSurface", "WallSurface"]
    assert len(geometry["semantics"]["values"][0]) == len(geometry["boundaries"][0])
    with_address = [o for o in _buildings(doc).values() if o["attributes"].get("addresses")]
    assert with_address
    address = with_address[0]["attributes"]["addresses"][0]
    assert address["code"] and address["adcode"] == "310118" and len(address["towncode"]) == 9
    assert with_address[0]["attributes"]["lineage"]["sources"]


def test_seq_town_and_bbox_filters(conn):
    lines = list(export_lod1_seq(conn, towncode=TOWN))
    assert seq_errors(lines) == []
    header, features = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    assert header["CityObjects"] == {} and header["metadata"]["buildings"] == len(features)
    total = conn.execute("SELECT count(*) FROM building").fetchone()[0]
    assert 0 < len(features) < total
    assert all(f["type"] == "CityJSONFeature" and f["id"] in f["CityObjects"] for f in features)
    box = export_lod1(conn, bbox=[121.10, 31.14, 121.12, 31.16])
    assert schema_errors(box) == [] and 0 < len(_buildings(box)) < total


def test_the_version_moves_when_a_building_changes(conn):
    before = buildings_version(conn)
    with conn.transaction():
        conn.execute("UPDATE building SET height_m = 33, updated_at = now()"
                     " WHERE id = (SELECT min(id) FROM building)")
    assert buildings_version(conn) != before


def test_the_version_moves_when_a_linked_address_changes(conn):
    before = buildings_version(conn)
    code = conn.execute("SELECT min(address_code) FROM building_address").fetchone()[0]
    with conn.transaction():
        new_version(conn, code=code, changes={"canonical": "上海市青浦区华志路1号（改）"})
    assert buildings_version(conn) != before
