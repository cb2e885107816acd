"""CORS for the endpoints browser apps call from other origins: address, geocode and tiles.

Starlette's ``CORSMiddleware`` does the protocol (preflight, ``Vary``, credentials); this wrapper
only limits it to those path prefixes, so the pages, keys and write endpoints of dizhi answer no
other origin. Origins come from ``DIZHI_CORS_ORIGINS`` (comma-separated, ``*`` for any); with none
set, no CORS headers are sent at all.
"""

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CORS_PREFIXES = ("/address/", "/geocode", "/reverse", "/suggest", "/tiles/", "/raster/",
                 "/buildings/tiles/", "/3dtiles/", "/ogc/")


class PathCORS:
    """``CORSMiddleware`` for requests under ``prefixes``; every other request passes by."""

    def __init__(self, app: ASGIApp, *, origins: list[str],
                 prefixes: tuple[str, ...] = CORS_PREFIXES) -> None:
        self.app = app
        self.prefixes = prefixes
        self.cors = CORSMiddleware(app, allow_origins=origins, allow_methods=["GET", "POST"],
                                   allow_headers=["Authorization", "Content-Type",
                                                  "If-None-Match"],
                                   expose_headers=["ETag", "Retry-After"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
