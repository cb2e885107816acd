"""The 3D page in headless Chromium: extruded buildings from our own tiles, addresses, a click."""

import pytest

from tests.api.test_map_page import CHROMIUM, CHROMIUM_ARGS, server  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make system installs it)"),
]


@pytest.fixture(scope="module")
def page3d(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 750})
        external = []
        page.on("request", lambda r: external.append(r.url)
                if r.url.startswith("http") and not r.url.startswith(server) else None)
        page.goto(server + "/3d")
        page.wait_for_selector("body[data-loaded=true]", timeout=60_000)
        page.external_requests = external
        yield page
        browser.close()


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
