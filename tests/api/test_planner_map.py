"""The planners' map in headless Chromium: catalog by access, feature info on click, API key,
upload form, address search; offline."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.app import create_app
from api.auth import create_key
from api.settings import Settings
from layers.catalog.store import add_layer
from tests.api.browser import BROWSER_MARKS, open_page, serve
from tests.layers.builders import geojson_file, parcels

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def committed(module_database_url: str, tmp_path_factory) -> dict[str, str]:
    """Two layers and a planner key, committed so the server thread sees them (in the module's
    own database, dropped after)."""
    tmp = tmp_path_factory.mktemp("planner")
    with psycopg.connect(module_database_url, autocommit=True) as conn, conn.transaction():
        path = geojson_file(tmp / "p.geojson", parcels(5))
        add_layer(conn, path=path, name="plan_parcels", title="规划地块", access_level="public")
        add_layer(conn, path=path, name="plan_secret", title="敏感地块", access_level="restricted")
        key = create_key(conn, role="planner", name="planner page test")
    return {"key": key.key, "upload": str(geojson_file(tmp / "up.geojson", parcels(3)))}


@pytest.fixture(scope="module")
def server(module_database_url: str, committed, tmp_path_factory) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIZHI_TILE_CACHE_DIR", str(tmp_path_factory.mktemp("tiles")))
        with serve(create_app(Settings(), url=module_database_url)) as url:
            yield url


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    with open_page(server, "/", "body[data-catalog=true]") as page:
        yield page


def _wait_idle(page) -> None:
    page.evaluate("new Promise(r => { const m = window.dizhiMap;"
                  " if (m.loaded() && m.areTilesLoaded()) r(); else m.once('idle', r); })")


def test_the_basemap_shows_under_the_data_offline(page):
    page.evaluate("window.dizhiMap.jumpTo({center: [121.2, 31.17], zoom: 11})")
    _wait_idle(page)
    kinds = page.evaluate("window.dizhiMap.queryRenderedFeatures({layers: ['basemap-metro',"
                          " 'basemap-expressway', 'basemap-station']}).map(f => f.properties.kind)")
    assert {"metro_line", "elevated_or_expressway"} <= set(kinds)
    assert "OpenStreetMap" in page.inner_text(".maplibregl-ctrl-attrib")
    assert page.external_requests == []


def test_catalog_follows_the_callers_access(page):
    assert page.locator("#catalog input[data-layer=plan_parcels]").count() == 1
    assert page.locator("#catalog input[data-layer=plan_secret]").count() == 0
    assert "公开" in page.inner_text("#catalog")


def test_click_on_a_catalog_feature_shows_its_attributes(page, tmp_path: Path):
    page.check("#catalog input[data-layer=plan_parcels]")
    page.evaluate("window.dizhiMap.jumpTo({center: [121.1140, 31.1510], zoom: 16})")
    _wait_idle(page)
    box = page.locator("#map canvas").bounding_box()
    page.evaluate("document.getElementById('info').dataset.ready = 'false'")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#info[data-ready=true]", timeout=10_000)
    text = page.inner_text("#info")
    assert "plan_parcels" in text and "地块1" in text and "QP0001" in text
    assert "盈浦街道" in text or "310118" in text
    page.screenshot(path=str(tmp_path / "planner.png"))
    assert (tmp_path / "planner.png").stat().st_size > 10_000
    assert page.external_requests == []


def test_a_key_shows_restricted_layers_and_upload_works(page, committed):
    page.click("#upload-box summary")
    page.fill("#apikey", committed["key"])
    page.dispatch_event("#apikey", "change")
    page.wait_for_selector("#catalog input[data-layer=plan_secret]", timeout=10_000)
    page.set_input_files("#upload input[name=file]", committed["upload"])
    page.fill("#upload input[name=name]", "up_parcels")
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload-result[data-ready=true]", timeout=20_000)
    assert "up_parcels" in page.inner_text("#upload-result")
    assert "3 features" in page.inner_text("#upload-result")
    page.wait_for_selector("#catalog input[data-layer=up_parcels]", timeout=10_000)


def test_address_search_answers_or_says_the_geocoder_is_missing(page):
    page.fill("#search-text", "青浦区盈浦街道")
    page.click("#search button[type=submit]")
    page.wait_for_selector("#search-result[data-ready=true]", timeout=20_000)
    assert page.inner_text("#search-result").strip()
