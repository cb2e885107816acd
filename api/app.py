"""The FastAPI application: a connection pool owned by the lifespan, routers, problem+json."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from address.parse.parser import parse
from api import access_log
from api.cors import PathCORS
from api.db import database_url, open_pool
from api.errors import PROBLEM_RESPONSES, install_error_handlers
from api.jobs.queue import InProcessWorker, Queue
from api.routes import (
    address_api,
    addresses,
    admin_areas,
    buildings,
    buildings_3d,
    energy,
    energy_map,
    energy_series,
    exports,
    geocode,
    health,
    hotline,
    jobs,
    keys,
    layers,
    ogc,
    open311,
    pages,
    quality,
    raster,
    registry,
    tiles,
)
from api.secret import app_keyring
from api.settings import Settings, get_settings
from api.state import install_state
from api.text_guard import TextGuard


def create_app(settings: Settings | None = None, url: str | None = None) -> FastAPI:
    """Build the app; the pool opens when the lifespan starts (``url`` overrides settings)."""
    settings = settings or get_settings()
    app_keyring(settings)
    access_log.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        parse("上海市青浦区华志路1号")  # load the tagger and gazetteer now, not on a first request
        install_state(app.state, settings)
        target = url or database_url(settings)
        app.state.pool = open_pool(target, settings)
        app.state.queue = Queue(target, settings)
        worker = (InProcessWorker(Queue(target, settings, worker=True)).start()
                  if settings.jobs.in_process_worker else None)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            app.state.pool.close()

    app = FastAPI(
        title="dizhi",
        summary="Standard addresses, geocoding and spatial layers for a district (青浦区 sample)",
        version="0.1.0",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    install_error_handlers(app)
    routers = [
        health.router,
        admin_areas.router,
        address_api.router,
        addresses.router,
        geocode.router,
        registry.router,
        keys.router,
        jobs.router,
        layers.router,
        ogc.router,
        tiles.router,
        raster.router,
        quality.router,
        buildings_3d.router,  # before buildings: /buildings/{id} would take its paths
        buildings.router,
        exports.router,
        hotline.router,
        open311.router,
        energy.router,
        energy_map.router,
        energy_series.router,
        pages.router,  # last: "/" and the pages
    ]
    for router in routers:
        app.include_router(router)
    if origins := settings.cors_origin_list:
        app.add_middleware(PathCORS, origins=origins)
    app.add_middleware(TextGuard)  # outermost: bad text never reaches a route
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    # CesiumJS from npm (make installs it under var/node); absent, the Cesium page says so
    app.mount("/vendor/cesium", StaticFiles(directory=settings.cesium_dir, check_dir=False),
              name="cesium")
    return app
