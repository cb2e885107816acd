"""Heights from DSM/DEM rasters in any CRS, the floors fallback, the real ASTER grid, LoD1."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from spatial.buildings.conflate import conflate
from spatial.buildings.export import export_lod1
from spatial.buildings.heights import compute_heights, estimate, roof_stats
from spatial.buildings.ingest import store_footprints
from spatial.buildings.links import building_addresses, link_addresses
from spatial.rasters import describe_raster, register_raster
from tests.spatial.test_buildings import X0, Y0, _frame

ASTER = Path(__file__).resolve().parents[2] / "data/sample/buildings"
ASTER_NAME = "qingpu_bbox_aster_gdem_v3_20arcsec.asc"


@pytest.fixture(autouse=True)
def _inside_a_transaction(conn):
    """Open the test's transaction now, so ``conn.transaction()`` blocks become savepoints
    (on an idle connection they would commit, and outlive the test)."""
    conn.execute("SELECT 1")


def _tif(path: Path, data: np.ndarray, transform, crs: str, nodata: float = -9999.0) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype="float32", crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(data.astype("float32"), 1)
    return path


@pytest.fixture
def rasters(conn, tmp_path):
    """DSM in EPSG:4549 at 1 m: ground 4 m, a 24 m roof on (0..20, 0..10) with one hole;
    DEM in EPSG:32651 (UTM) at 2 m: ground 4 m, no data under the building."""
    conn.execute("DELETE FROM raster")
    dsm = np.full((60, 80), 4.0)
    dsm[30:40, 20:40] = 28.0  # rows from the top: y = Y0+30 .. Y0+20 ... see transform
    dsm[35, 25] = -9999.0
    _tif(tmp_path / "dsm.tif", dsm, from_origin(X0 - 20, Y0 + 40, 1, 1), "EPSG:4549")
    from pyproj import Transformer
    ux, uy = Transformer.from_crs(4549, 32651, always_xy=True).transform(X0 - 40, Y0 + 60)
    dem = np.full((60, 60), 4.0)
    _tif(tmp_path / "dem.tif", dem, from_origin(ux, uy, 2, 2), "EPSG:32651")
    register_raster(conn, path=tmp_path / "dsm.tif", kind="dsm", name="t_dsm")
    register_raster(conn, path=tmp_path / "dem.tif", kind="dem", name="t_dem")
    return conn


def test_roof_percentiles_minus_ground_give_the_height(rasters):
    conn = rasters
    with conn.transaction():
        store_footprints(conn, frame=_frame([("a", (0, 0, 20, 10), {"floors": 8}),
                                             ("far", (5000, 0, 5010, 10), {"floors": 3}),
                                             ("nofloors", (9000, 0, 9010, 10), {})]), source="t_h")
        conflate(conn, sources=["t_h"])
    counts = compute_heights(conn)
    assert counts["dsm"] == 1 and counts["floors"] == 1
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT s.source_id, b.height_m, b.height_source, b.floors, b.quality FROM building b"
        " JOIN building_lineage l ON l.building_id = b.id"
        " JOIN building_source s ON s.id = l.source_row_id")}
    height, source, floors, quality = rows["a"]
    assert source == "dsm" and height == pytest.approx(24.0, abs=0.05) and floors == 8
    assert quality["roof_pixels"] == 199 and quality["roof_nodata_share"] == pytest.approx(0.005)
    assert quality["ground_method"] == "ring_p10" and quality["dsm"] == "t_dsm"
    assert rows["far"][:2] == (9.0, "floors")
    assert rows["nofloors"][:2] == (None, None)


def test_floors_are_estimated_from_height_and_too_few_pixels_fall_back():
    assert estimate({"roof_p70": 34.0}, 4.0, None) == (30.0, "dsm", 10)
    assert roof_stats(np.array([10.0, 11.0]), 10) == {"roof_pixels": 2,
                                                      "roof_nodata_share": 0.8}
    assert estimate({"roof_pixels": 2}, 4.0, 5) == (15.0, "floors", 5)


def test_the_real_aster_grid_loads_as_a_raster(conn, tmp_path):
    source = ASTER / ASTER_NAME
    shutil.copy(source, tmp_path / ASTER_NAME)
    shutil.copy(source.with_suffix(".prj"), tmp_path / source.with_suffix(".prj").name)
    info = describe_raster(tmp_path / ASTER_NAME)
    assert (info["width"], info["height"]) == (93, 75) and info["nodata"] == -9999
    assert 500 < info["resolution"] < 600 and info["crs"] in ("EPSG:4326", "OGC:CRS84")
    with rasterio.open(tmp_path / ASTER_NAME) as src:
        value = next(src.sample([(121.1098, 31.1443)]))[0]
    assert 0 < value < 30


def test_sample_buildings_have_heights_links_and_rasters(conn):
    counts = dict(conn.execute(
        "SELECT height_source, count(*) FROM building GROUP BY 1").fetchall())
    assert counts.get("dsm", 0) > 5000
    kinds = dict(conn.execute("SELECT kind, count(*) FROM raster GROUP BY 1").fetchall())
    assert kinds["dsm"] > 100 and kinds["dem"] > 100
    assert conn.execute("SELECT synthetic FROM raster WHERE name = 'aster_gdem_v3_qingpu'"
                        ).fetchone() == (False,)
    linked = conn.execute("SELECT count(*) FROM address WHERE building_id IS NOT NULL"
                          " AND valid_to IS NULL").fetchone()[0]
    assert linked > 700


def test_address_links_inside_and_nearest(conn):
    # an address with no other one within ~30 m, so the square around it holds only its point
    point = conn.execute(
        "SELECT a.code, ST_X(a.point), ST_Y(a.point) FROM address a"
        " WHERE a.valid_to IS NULL AND a.point IS NOT NULL AND NOT EXISTS ("
        "  SELECT 1 FROM address b WHERE b.valid_to IS NULL AND b.code <> a.code"
        "  AND ST_DWithin(b.point, a.point, 0.0003)) ORDER BY a.code LIMIT 1").fetchone()
    code, lng, lat = point
    conn.execute("DELETE FROM building")
    conn.execute(
        "INSERT INTO building (component_key, digest, match_kind, geom) VALUES"
        " ('in', 'd', 'unmatched', ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326),"
        " 0.0001))),"
        " ('near', 'd', 'unmatched', ST_Multi(ST_Expand(ST_SetSRID(ST_MakePoint(%s, %s), 4326),"
        " 0.00005)))", [lng, lat, lng + 0.0004, lat])
    with conn.transaction():
        counts = link_addresses(conn)
    assert counts["inside"] == 1
    inside_id = conn.execute("SELECT id FROM building WHERE component_key = 'in'").fetchone()[0]
    [link] = building_addresses(conn, building_id=inside_id)
    assert link["code"] == code and link["method"] == "inside"
    assert conn.execute("SELECT building_id FROM address WHERE code = %s AND valid_to IS NULL",
                        [code]).fetchone() == (inside_id,)
    assert counts["nearest"] >= 0 and counts["linked"] == counts["inside"] + counts["nearest"]


def test_lod1_cityjson_is_a_closed_extrusion(conn):
    doc = export_lod1(conn, bbox=[121.10, 31.14, 121.12, 31.16], limit=50)
    assert doc["type"] == "CityJSON" and doc["version"] == "2.0"
    assert doc["metadata"]["referenceSystem"].endswith("/4549")
    buildings = [o for o in doc["CityObjects"].values() if o["type"] == "Building"]
    assert 0 < len(buildings) <= 50
    n = len(doc["vertices"])
    for obj in doc["CityObjects"].values():
        geom = obj["geometry"][0]
        assert geom["lod"] == "1.2" and geom["type"] == "Solid"
        assert obj["type"] == "BuildingPart" or obj["attributes"]["height_m"] > 0
        faces = geom["boundaries"][0]
        assert len(faces) >= 6  # floor, roof, at least four walls
        assert all(0 <= i < n for face in faces for ring in face for i in ring)
    scale = doc["transform"]["scale"][2]
    zs = [v[2] * scale for v in doc["vertices"]]
    assert max(zs) - min(zs) > 3


def test_a_height_tag_is_used_where_no_raster_covers():
    assert estimate({"roof_pixels": 0}, None, None, 16.0) == (16.0, "attribute", 5)
