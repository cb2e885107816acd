"""The 3D view's energy colouring in headless Chromium: with an energy key the park's buildings
take the colour of their consumption for the chosen month (the planners' map's endpoint), other
buildings stay pale, another month or metric recolours them; offline."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api.app import create_app
from api.settings import get_settings
from tests.api.browser import BROWSER_MARKS, open_page, serve
from tests.api.energy_park import load_slice

pytestmark = [*BROWSER_MARKS, pytest.mark.skipif(
    not (get_settings().cesium_dir / "Cesium.js").exists(),
    reason="CesiumJS not installed (make installs it under var/node)")]
# every drawn feature under a grid of points: [building_id, its colour as drawn]
PICKED = (
    "(() => { const s = window.dizhiCesium.viewer.scene; s.render(); const out = {};"
    " for (let y = 100; y < 650; y += 10) for (let x = 100; x < 900; x += 10) {"
    "   const p = s.pick(new Cesium.Cartesian2(x, y));"
    "   if (p instanceof Cesium.Cesium3DTileFeature)"
    "     out[p.getProperty('building_id')] = p.color.toCssHexString(); }"
    " return out; })()")
EXPECTED = ("Object.fromEntries([...window.dizhiCesiumEnergy.state.colours].map("
            "([id, c]) => [id, Cesium.Color.fromCssColorString(c).toCssHexString()]))")


@pytest.fixture(scope="module")
def page(module_database_url: str) -> Iterator[Any]:
    key = load_slice(module_database_url)
    with psycopg.connect(module_database_url) as conn:
        lng, lat = conn.execute(  # one of the park's buildings, the tallest
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(b.geom) c FROM building b"
            " JOIN enterprise_building eb ON eb.building_id = b.id"
            " ORDER BY b.height_m DESC NULLS LAST, b.id LIMIT 1) t").fetchone()
    with serve(create_app(url=module_database_url)) as server, open_page(
            server, f"/3d/cesium?lng={lng}&lat={lat}&range=250", "body[data-loaded=true]",
            viewport=(1000, 700), timeout_ms=90_000) as page:
        page.fill("#energy3d-key", key)
        page.dispatch_event("#energy3d-key", "change")
        page.wait_for_selector("#energy3d[data-ready=true]", timeout=60_000)
        yield page


def _drawn(page) -> tuple[dict[str, str], dict[str, str]]:
    """(what the park's buildings should be, what the features picked on screen are)."""
    return page.evaluate(EXPECTED), page.evaluate(PICKED)


def test_the_park_buildings_take_their_months_colours(page):
    expected, picked = _drawn(page)
    park = {b: c for b, c in picked.items() if b in expected}
    assert park, f"no building of the park on screen: {sorted(picked)[:20]}, {sorted(expected)}"
    assert all(expected[b] == c for b, c in park.items())
    pale = {c[:7] for b, c in picked.items() if b not in expected}
    assert pale <= {"#e6e6e6"}  # the others' pale grey (its alpha aside)
    assert page.external_requests == []


def test_another_month_and_metric_recolour_them(page):
    before, _ = _drawn(page)
    page.select_option("#energy3d-month", "1")
    page.wait_for_selector("#energy3d[data-month='2018-02'][data-ready=true]", timeout=30_000)
    after, picked = _drawn(page)
    assert any(after.get(b) != c for b, c in before.items())
    assert all(after[b] == c for b, c in picked.items() if b in after)
    page.select_option("#energy3d-metric", "intensity")
    page.wait_for_function("document.getElementById('energy3d-legend').textContent"
                           ".includes('kWh/m²')", timeout=30_000)
    assert page.external_requests == []
