"""The CesiumJS page in headless Chromium: the 3D Tiles load from dizhi alone, a click shows a
building's properties."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api.app import create_app
from api.settings import get_settings
from tests.api.browser import BROWSER_MARKS, open_page, serve

pytestmark = [*BROWSER_MARKS, pytest.mark.skipif(
    not (get_settings().cesium_dir / "Cesium.js").exists(),
    reason="CesiumJS not installed (make installs it under var/node)")]


@pytest.fixture(scope="module")
def cesium_page(module_database_url: str) -> Iterator[Any]:
    with psycopg.connect(module_database_url) as conn:
        lng, lat = conn.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM building"
            " ORDER BY height_m DESC NULLS LAST LIMIT 1) t").fetchone()
    with serve(create_app(url=module_database_url)) as server, open_page(
            server, f"/3d/cesium?lng={lng}&lat={lat}&range=250", "body[data-loaded=true]",
            viewport=(1000, 700), timeout_ms=90_000) as page:
        yield page


def test_the_tileset_loads_offline(cesium_page):
    assert cesium_page.evaluate("window.dizhiCesium.tileset.tilesLoaded")
    assert cesium_page.external_requests == []


def test_a_click_shows_a_building(cesium_page):
    point = cesium_page.evaluate(
        "(() => { const s = window.dizhiCesium.viewer.scene;"
        " for (let y = 200; y < 600; y += 12) for (let x = 200; x < 650; x += 12) {"
        "   const p = s.pick(new Cesium.Cartesian2(x, y));"
        "   if (p instanceof Cesium.Cesium3DTileFeature) return {x, y}; }"
        " return null; })()")
    assert point is not None
    box = cesium_page.locator("#globe canvas").bounding_box()
    cesium_page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    cesium_page.wait_for_function("document.getElementById('info').dataset.ready === 'true'",
                                  timeout=30_000)
    text = cesium_page.inner_text("#info")
    assert "building_id" in text and "height_m" in text and "address" in text
