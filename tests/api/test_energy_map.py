"""The park energy map in headless Chromium: with an energy key the park's buildings are coloured,
the month slider changes their colours, a click shows the enterprise panel with its chart;
offline. The park is a slice of the sample park (three enterprises, two months)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.settings import Settings
from tests.api.browser import BROWSER_MARKS, open_page, serve
from tests.api.energy_park import load_slice

pytestmark = BROWSER_MARKS
COLOURS = ("window.dizhiMap.queryRenderedFeatures({layers: ['energy-buildings-fill']})"
           ".map(f => [f.properties.building_id, f.properties.colour])")


@pytest.fixture(scope="module")
def key(module_database_url: str) -> str:
    return load_slice(module_database_url)


@pytest.fixture(scope="module")
def page(module_database_url: str, key: str, tmp_path_factory) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIZHI_TILE_CACHE_DIR", str(tmp_path_factory.mktemp("tiles")))
        with serve(create_app(Settings(), url=module_database_url)) as url, \
                open_page(url, "/", "body[data-loaded=true]") as page:
            yield page


def _idle(page) -> None:
    page.evaluate("new Promise(r => { const m = window.dizhiMap;"
                  " if (m.loaded() && m.areTilesLoaded()) r(); else m.once('idle', r); })")


def test_without_a_key_the_page_says_energy_is_internal(page):
    page.wait_for_function("document.getElementById('energy-status').textContent.includes('key')",
                           timeout=10_000)


def test_buildings_are_coloured_and_the_slider_changes_them(page, key, tmp_path: Path):
    page.click("#upload-box summary")
    page.fill("#apikey", key)
    page.dispatch_event("#apikey", "change")
    page.wait_for_selector("#energy[data-ready=true]", timeout=20_000)
    assert "合成" in page.inner_text("#energy-status") or "synthetic" in page.inner_text("#energy")
    _idle(page)
    january = dict(page.evaluate(COLOURS))
    assert len(january) >= 2 and all(c.startswith("#") for c in january.values())
    page.eval_on_selector("#energy-month", "e => { e.value = '1';"
                          " e.dispatchEvent(new Event('input')); }")
    page.wait_for_selector("#energy[data-month='2018-02'][data-ready=true]", timeout=20_000)
    _idle(page)
    february = dict(page.evaluate(COLOURS))
    assert any(february.get(b) != c for b, c in january.items())
    page.screenshot(path=str(tmp_path / "energy.png"))
    assert page.external_requests == []


def test_a_click_on_a_building_shows_the_enterprise_panel(page, key):
    page.wait_for_selector("#energy[data-ready=true]", timeout=20_000)
    centre = page.evaluate(
        "(() => { const f = window.dizhiEnergy.state.data.features.find(f => f.properties.kwh);"
        " const ring = f.geometry.coordinates[0][0];"
        " return ring.reduce(([x, y], [a, b]) => [x + a / ring.length, y + b / ring.length],"
        " [0, 0]); })()")
    page.evaluate(f"window.dizhiMap.jumpTo({{center: {centre}, zoom: 18}})")
    _idle(page)
    box = page.locator("#map canvas").bounding_box()
    page.evaluate("document.getElementById('energy-panel').dataset.ready = 'false'")
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#energy-panel[data-ready=true]", timeout=20_000)
    assert page.locator("#energy-panel svg.energy-chart rect").count() >= 20
    text = page.inner_text("#energy-panel")
    assert "（合成）" in text and "tce" in text and "Alarms" in text
    assert page.external_requests == []
