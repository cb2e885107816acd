"""The map page in headless Chromium: it loads the layers offline and a click names the chain."""

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make system installs it)"),
]
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(url=database_url), host="127.0.0.1", port=port,
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        external = []
        page.on("request", lambda r: external.append(r.url)
                if r.url.startswith("http") and not r.url.startswith(server) else None)
        page.goto(server + "/")
        page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
        page.external_requests = external
        yield page
        browser.close()


def test_map_loads_every_layer_without_the_internet(page):
    layers = page.evaluate("window.dizhiMap.getStyle().layers.map(l => l.id)")
    assert {"towns-fill", "communities-line", "grid-line", "addresses"} <= set(layers)
    assert page.evaluate("window.dizhiMap.querySourceFeatures('addresses').length") > 0
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


def test_layer_switch_hides_the_grid(page):
    page.check("input[data-layer=grid]")
    visibility = "window.dizhiMap.getLayoutProperty('grid-line', 'visibility')"
    assert page.evaluate(visibility) == "visible"
    page.uncheck("input[data-layer=grid]")
    assert page.evaluate(visibility) == "none"
