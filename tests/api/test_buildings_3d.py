"""The 3D page in headless Chromium: extruded buildings from our own tiles, addresses, a click."""

from collections.abc import Iterator
from typing import Any

import pytest

from api.app import create_app
from tests.api.browser import BROWSER_MARKS, open_page, serve

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def page3d(module_database_url: str) -> Iterator[Any]:
    with serve(create_app(url=module_database_url)) as server, open_page(
            server, "/3d", "body[data-loaded=true]", viewport=(1100, 750),
            timeout_ms=60_000) as page:
        yield page


def test_buildings_are_extruded_by_height_offline(page3d):
    layers = page3d.evaluate("window.dizhi3d.getStyle().layers.map(l => l.id)")
    assert {"buildings-3d", "addresses"} <= set(layers)
    assert page3d.evaluate("window.dizhi3d.getPitch()") > 45
    rendered = page3d.evaluate("window.dizhi3d.queryRenderedFeatures({layers: ['buildings-3d']})"
                               ".map(f => f.properties.height)")
    assert len(rendered) > 20 and max(rendered) > 15
    assert page3d.external_requests == []


def test_colour_by_use_and_click_a_building(page3d):
    page3d.select_option("#colour-by", "use")
    assert "apartments" in page3d.inner_text("#legend")
    # a screen point left of the panel where a building is drawn
    point = page3d.evaluate(
        "(() => { const m = window.dizhi3d;"
        " for (let x = 300; x < 700; x += 10) for (let y = 250; y < 600; y += 10)"
        "   if (m.queryRenderedFeatures([x, y], {layers: ['buildings-3d']}).length)"
        "     return {x, y}; return null; })()")
    assert point is not None
    box = page3d.locator("#map canvas").bounding_box()
    page3d.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page3d.wait_for_selector("#info[data-ready=true]", timeout=10_000)
    assert "building" in page3d.inner_text("#info") and "height" in page3d.inner_text("#info")
