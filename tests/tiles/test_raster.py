"""Raster layers: a plain GeoTIFF becomes a COG; PNG tiles with rescale and colormap; values at a
point; access levels."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_bounds

from api.state import get_raster_dir
from spatial.coords import wgs84_to_gcj02
from spatial.rasters import is_cog, to_cog
from tests.layers.builders import headers_for

WEST, SOUTH, EAST, NORTH = 121.0, 31.0, 121.2, 31.2


def _geotiff(path, tiled=False):
    data = np.add.outer(np.arange(200), np.arange(200)).astype("float32")  # 0 at the NW corner
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_bounds(WEST, SOUTH, EAST, NORTH, 200, 200),
                       nodata=-9999, tiled=tiled) as dst:
        dst.write(data, 1)
    return path


def test_a_plain_geotiff_is_converted_to_a_cog(tmp_path):
    source = _geotiff(tmp_path / "plain.tif")
    assert not is_cog(source)
    to_cog(source, tmp_path / "cog.tif")
    assert is_cog(tmp_path / "cog.tif")


@pytest.fixture
def elevation(client, conn, tmp_path):
    client.app.dependency_overrides[get_raster_dir] = lambda: tmp_path / "rasters"
    planner = headers_for(conn, "planner")
    with _geotiff(tmp_path / "dem.tif").open("rb") as handle:
        response = client.post("/raster", headers=planner,
                               data={"name": "dem", "access_level": "public", "title": "高程"},
                               files={"file": ("dem.tif", handle)})
    assert response.status_code == 201, response.text
    return response.json()


def test_register_and_metadata(client, elevation):
    assert elevation["bounds"] == pytest.approx([WEST, SOUTH, EAST, NORTH])
    assert elevation["band_count"] == 1 and elevation["stats"]["b1"]["max"] == 398
    assert "path" not in elevation
    assert [r["name"] for r in client.get("/raster").json()["rasters"]] == ["dem"]


def test_png_tiles_with_rescale_and_colormap(client, elevation):
    tile = client.get("/raster/dem/12/3425/1676.png?rescale=0,400&colormap=viridis")
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    assert tile.content[:8] == b"\x89PNG\r\n\x1a\n"
    grey = client.get("/raster/dem/12/3425/1676.png")
    assert grey.status_code == 200 and grey.content != tile.content
    assert client.get("/raster/dem/12/0/0.png").status_code == 204
    assert client.get("/raster/dem/12/3425/1676.png?colormap=nope").status_code == 400
    assert client.get("/raster/dem/12/3425/1676.png?rescale=5,1").status_code == 400
    again = client.get("/raster/dem/12/3425/1676.png",
                       headers={"If-None-Match": grey.headers["etag"]})
    assert again.status_code == 304


def test_point_values(client, elevation):
    body = client.get("/raster/dem/point/121.0005,31.1995").json()
    assert body["values"] == [0.0]
    assert client.get("/raster/dem/point/121.1995,31.0005").json()["values"] == [398.0]
    assert client.get("/raster/dem/point/122.5,31.1").status_code == 404


def test_point_values_honour_coordsys(client, elevation):
    lng, lat = wgs84_to_gcj02(121.1995, 31.0005)
    body = client.get(f"/raster/dem/point/{lng:.7f},{lat:.7f}", params={"coordsys": "gcj02"}).json()
    assert body["values"] == [398.0]
    assert [float(v) for v in body["location"].split(",")] == pytest.approx([lng, lat], abs=1e-6)


def test_restricted_rasters(client, conn, tmp_path):
    client.app.dependency_overrides[get_raster_dir] = lambda: tmp_path / "rasters"
    planner = headers_for(conn, "planner")
    with _geotiff(tmp_path / "s.tif").open("rb") as handle:
        client.post("/raster", headers=planner, data={"name": "secret_dem",
                    "access_level": "restricted"}, files={"file": ("s.tif", handle)})
    assert client.get("/raster/secret_dem/12/3425/1676.png").status_code == 403
    assert client.get("/raster/secret_dem/point/121.1,31.1").status_code == 403
    assert client.get("/raster/secret_dem/12/3425/1676.png", headers=planner).status_code == 200
    assert client.get("/raster").json()["count"] == 0
