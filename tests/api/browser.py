"""What the page tests share: the app on a real port, and headless Chromium on a page of it."""

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (make system installs it)"),
]
# Without the network flags Chromium keeps calling home, which this machine refuses.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@contextmanager
def open_page(server: str, path: str, ready: str, viewport: tuple[int, int] = (1280, 800),
              timeout_ms: int = 30_000) -> Iterator[Any]:
    """A page of the server once ``ready`` (a CSS selector) shows; ``page.external_requests``
    lists every http(s) request that went anywhere but the server."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        external: list[str] = []
        page.on("request", lambda r: external.append(r.url)
                if r.url.startswith("http") and not r.url.startswith(server) else None)
        page.goto(server + path)
        page.wait_for_selector(ready, timeout=timeout_ms)
        page.external_requests = external
        yield page
        browser.close()
