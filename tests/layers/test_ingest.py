"""Reading uploads: formats, CRS detection, GCJ-02 undone, repair and rejection by index."""

import numpy as np
import pytest
import shapely

from address.errors import BadRequest
from layers.catalog.ingest import read_features
from layers.catalog.store import minzooms
from spatial.coords import wgs84_to_gcj02
from tests.layers.builders import (
    CENTER,
    bowtie,
    csv_file,
    feature,
    geojson_file,
    gpkg_file,
    parcels,
    zipped_shapefile,
)


def test_geojson_is_read_in_wgs84(tmp_path):
    frame, report = read_features(geojson_file(tmp_path / "a.geojson", parcels(3)))
    assert len(frame) == 3 and report.details["format"] == "GeoJSON"
    assert report.details["source_crs"] == "EPSG:4326"
    assert frame.crs.to_epsg() == 4326


def test_gpkg_in_cgcs2000_gauss_kruger_is_reprojected(tmp_path):
    frame, report = read_features(gpkg_file(tmp_path / "a.gpkg", epsg=4549))
    assert "4549" in report.details["source_crs"]
    minx, miny, _, _ = frame.total_bounds
    assert minx == pytest.approx(CENTER[0], abs=1e-6) and miny == pytest.approx(CENTER[1], abs=1e-6)


def test_zipped_shapefile(tmp_path):
    frame, report = read_features(zipped_shapefile(tmp_path))
    assert len(frame) == 3 and report.details["format"] == "Shapefile (zipped)"


def test_csv_in_gcj02_is_shifted_back_exactly(tmp_path):
    g_lng, g_lat = wgs84_to_gcj02(CENTER[0], CENTER[1])
    frame, report = read_features(csv_file(tmp_path / "p.csv", [(g_lng, g_lat, "站点")]),
                                  coordsys="gcj02")
    point = frame.geometry.iloc[0]
    assert report.details["coordsys"] == "gcj02"
    assert point.x == pytest.approx(CENTER[0], abs=1e-8)
    assert point.y == pytest.approx(CENTER[1], abs=1e-8)
    assert frame["name"].iloc[0] == "站点"


def test_invalid_geometries_are_repaired_and_bad_ones_reported_by_line(tmp_path):
    features = [*parcels(2), feature(bowtie(), name="bowtie"), feature(None, name="none")]
    frame, report = read_features(geojson_file(tmp_path / "bad.geojson", features))
    assert report.read == 4 and report.imported == 3
    assert report.counts["repaired"] == 1 and report.details["repaired_lines"] == [3]
    assert report.as_dict()["failed_rows"] == [
        {"line": 4, "reason": "missing or empty geometry", "text": ""}]
    assert frame.geometry.is_valid.all()


def test_projected_coordinates_without_a_crs_need_one(tmp_path):
    ring = [[540000, 3440000], [540100, 3440000], [540100, 3440100], [540000, 3440000]]
    polygon = feature({"type": "Polygon", "coordinates": [ring]})
    path = geojson_file(tmp_path / "m.geojson", [polygon])
    with pytest.raises(BadRequest, match="crs="):
        read_features(path)
    frame, _ = read_features(path, crs="EPSG:4549")
    assert 120 < frame.total_bounds[0] < 122


def test_csv_rows_without_a_usable_point_are_reported_on_their_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('lng,lat,name\n121.1,31.1,ok\nabc,31.1,bad\n200,31.1,"far\naway"\n'
                    ',,none\n', encoding="utf-8")
    frame, report = read_features(path)
    assert report.read == 4 and report.imported == 1 and list(frame["name"]) == ["ok"]
    reasons = {r.line: r.reason for r in report.failed_rows}
    assert "not a finite number" in reasons[3] and "out of range" in reasons[5]
    assert reasons[6] == "missing or empty geometry"


def test_unsupported_type(tmp_path):
    (tmp_path / "a.kml").write_text("<kml/>")
    with pytest.raises(BadRequest, match="unsupported"):
        read_features(tmp_path / "a.kml")


def test_minzoom_is_where_a_feature_reaches_one_pixel():
    web = np.array([shapely.box(0, 0, 20, 20), shapely.box(0, 0, 2000, 10), shapely.Point(1, 1)])
    # 20 m: a 256-px pixel is 19 m at z13; 2 km: 611 m... 2.4 km at z6 (z7 pixels are 1.2 km).
    assert minzooms(web).tolist() == [13, 7, 0]


def test_gbk_shapefile_without_a_cpg_needs_its_encoding(tmp_path):
    import zipfile

    import geopandas as gpd

    from tests.layers.builders import square

    shp = tmp_path / "gbk"
    shp.mkdir()
    frame = gpd.GeoDataFrame({"name": ["青浦地块"]}, geometry=[square(*CENTER)], crs=4326)
    frame.to_file(shp / "gbk.shp", encoding="gbk")
    with zipfile.ZipFile(tmp_path / "gbk.zip", "w") as archive:
        for part in shp.iterdir():
            if part.suffix != ".cpg":
                archive.write(part, part.name)
    assert read_features(tmp_path / "gbk.zip", encoding="gbk")[0]["name"].iloc[0] == "青浦地块"
