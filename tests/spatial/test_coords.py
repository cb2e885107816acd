"""Conversions checked on real pairs: AMap's GCJ-02 + WGS84 for 850 places, Baidu's BD-09."""

import csv
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod

from address.errors import BadRequest
from spatial.coords import (
    bd09_to_gcj02,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_coordsys,
    parse_lnglat,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")


def _metres(lng1, lat1, lng2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lng1, lat1, lng2, lat2)[2])


@pytest.fixture(scope="module")
def amap(sample_dir: Path) -> dict[str, np.ndarray]:
    with (sample_dir / "qingpu_addresses_covid2022_amap.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cols = ("gcj02_lng", "gcj02_lat", "wgs84_lng", "wgs84_lat")
    return {c: np.array([float(r[c]) for r in rows]) for c in cols} | {
        "address": np.array([r["address"] for r in rows])}


@pytest.fixture(scope="module")
def sample_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "data" / "sample"


def test_onestep_inverse_reproduces_the_amap_wgs84_column_within_1m(amap):
    lng, lat = gcj02_to_wgs84(amap["gcj02_lng"], amap["gcj02_lat"], method="onestep")
    error = _metres(lng, lat, amap["wgs84_lng"], amap["wgs84_lat"])
    assert len(error) == 850
    assert error.max() < 1.0


def test_exact_inverse_round_trips_to_the_millimetre(amap):
    lng, lat = gcj02_to_wgs84(amap["gcj02_lng"], amap["gcj02_lat"])
    back = wgs84_to_gcj02(lng, lat)
    assert _metres(*back, amap["gcj02_lng"], amap["gcj02_lat"]).max() < 0.001


def test_exact_inverse_stays_near_the_amap_column(amap):
    # The column came from a one-step inverse, which is off by up to ~2 m; ours is exact.
    lng, lat = gcj02_to_wgs84(amap["gcj02_lng"], amap["gcj02_lat"])
    error = _metres(lng, lat, amap["wgs84_lng"], amap["wgs84_lat"])
    assert np.median(error) < 1.0
    assert error.max() < 2.5


def test_forward_of_amap_wgs84_lands_near_gcj02(amap):
    lng, lat = wgs84_to_gcj02(amap["wgs84_lng"], amap["wgs84_lat"])
    offset = _metres(amap["wgs84_lng"], amap["wgs84_lat"], amap["gcj02_lng"], amap["gcj02_lat"])
    assert 300 < np.median(offset) < 700  # GCJ-02 is roughly 470 m off in Qingpu
    assert _metres(lng, lat, amap["gcj02_lng"], amap["gcj02_lat"]).max() < 2.5


def test_bd09_round_trip_and_baidu_sanity(amap, sample_dir):
    lng, lat = gcj02_to_bd09(amap["gcj02_lng"], amap["gcj02_lat"])
    assert _metres(*bd09_to_gcj02(lng, lat), amap["gcj02_lng"], amap["gcj02_lat"]).max() < 0.001
    with (sample_dir / "qingpu_addresses_covid2022_baidu_bd09.csv").open(encoding="utf-8") as f:
        baidu = {r["query_address"]: r for r in csv.DictReader(f)}
    distances = []
    for i, name in enumerate(amap["address"]):
        row = baidu.get("青浦区" + name)
        if row:
            w = convert(float(row["bd09_lng"]), float(row["bd09_lat"]), "bd09", "wgs84")
            distances.append(_metres(*w, amap["wgs84_lng"][i], amap["wgs84_lat"][i]))
    assert len(distances) > 80
    # Two geocoders disagree about where a compound is, but not about the datum.
    assert np.median(distances) < 300


def test_scalars_stay_scalars_and_outside_china_is_unchanged():
    lng, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (float(lng), float(lat)) == (2.35, 48.85)
    assert np.ndim(gcj02_to_wgs84(121.0, 31.0)[0]) == 0


@pytest.mark.parametrize("name, expected", [
    ("WGS84", "wgs84"), ("gcj-02", "gcj02"), ("bd09ll", "bd09"), ("cgcs2000", "wgs84")])
def test_coordsys_names(name, expected):
    assert parse_coordsys(name) == expected


@pytest.mark.parametrize("bad", ["mars", ""])
def test_unknown_coordsys_is_a_bad_request(bad):
    with pytest.raises(BadRequest):
        parse_coordsys(bad)


@pytest.mark.parametrize("bad", ["1", "a,b", "200,10", "1,2,3", "nan,1"])
def test_bad_lnglat(bad):
    with pytest.raises(BadRequest):
        parse_lnglat(bad)
