"""The map page in headless Chromium: it loads the layers offline and a click names the chain."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from tests.api.browser import BROWSER_MARKS, open_page, serve

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(module_database_url: str) -> Iterator[str]:
    with serve(create_app(url=module_database_url)) as url:
        yield url


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    with open_page(server, "/", "body[data-loaded=true]") as page:
        yield page


def test_map_loads_every_layer_without_the_internet(page):
    layers = page.evaluate("window.dizhiMap.getStyle().layers.map(l => l.id)")
    assert {"towns-fill", "communities-line", "grid-line", "addresses"} <= set(layers)
    page.evaluate("new Promise(r => { const m = window.dizhiMap;"
                  " if (m.loaded() && m.areTilesLoaded()) r(); else m.once('idle', r); })")
    drawn = page.evaluate("new Set(window.dizhiMap.queryRenderedFeatures({layers: ['addresses']})"
                          ".map(f => f.properties.code)).size")
    assert drawn >= 820  # of 842: every address in view is drawn (a few lie outside the towns)
    assert page.external_requests == []


def test_click_shows_the_admin_chain(page, tmp_path: Path):
    x, y = page.evaluate("(() => { const p = window.dizhiMap.project([121.1098416, 31.14427407]);"
                         " return [p.x, p.y]; })()")
    box = page.locator("#map canvas").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#info[data-ready=true]", timeout=10_000)
    text = page.inner_text("#info")
    assert "盈浦街道 (310118002)" in text
    assert "grid" in text and "青浦区 (310118)" in text
    page.screenshot(path=str(tmp_path / "map.png"))
    assert (tmp_path / "map.png").stat().st_size > 10_000


def test_hot_spots_are_a_layer_to_switch_on(page):
    layers = page.evaluate("window.dizhiMap.getStyle().layers.map(l => l.id)")
    assert {"hotline-heat", "hotline-clusters"} <= set(layers)
    page.check("input[data-layer=hotspots]")
    heat = "window.dizhiMap.getLayoutProperty('hotline-heat', 'visibility')"
    assert page.evaluate(heat) == "visible"
    page.uncheck("input[data-layer=hotspots]")
    assert page.evaluate(heat) == "none"


def test_layer_switch_hides_the_grid(page):
    page.check("input[data-layer=grid]")
    visibility = "window.dizhiMap.getLayoutProperty('grid-line', 'visibility')"
    assert page.evaluate(visibility) == "visible"
    page.uncheck("input[data-layer=grid]")
    assert page.evaluate(visibility) == "none"
