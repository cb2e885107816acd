"""The FastAPI application: a connection pool owned by the lifespan, routers, problem+json."""

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from address.geocode.details import GeocodeRequest
from address.geocode.query import read_query
from address.parse.parser import parse
from address.text.coding import pinyin_forms
from api import access_log
from api.cors import PathCORS
from api.db import database_url, open_pool, open_replicas
from api.errors import PROBLEM_RESPONSES, install_error_handlers
from api.jobs.queue import InProcessWorker, Queue
from api.routes import (
    address_api,
    addresses,
    admin_areas,
    buildings,
    buildings_3d,
    energy,
    energy_jobs,
    energy_map,
    energy_series,
    exports,
    geocode,
    health,
    hotline,
    imports,
    jobs,
    keys,
    layers,
    ogc,
    open311,
    pages,
    places,
    quality,
    raster,
    registry,
    tiles,
)
from api.secret import app_keyring
from api.settings import Settings, get_settings
from api.state import install_state
from api.text_guard import TextGuard
from layers.hotline.handover import named_chain
from layers.hotline.mask import mask

log = logging.getLogger("dizhi.app")
_WARM_TEXT = "来电反映上海市青浦区华新镇华志路559号门口垃圾"


def warm_up(districts: tuple[str, ...]) -> None:
    """Load what a first geocode or ticket needs: the parser's tables and compiled kernel, the
    gazetteer and its scanner, the pinyin table, the masker, the hand-over's road table (about
    two seconds). Runs on a thread while the server already answers; a request that needs one
    of them meanwhile waits for it (``address.loading.load_once``) rather than loading it
    again.

    Then everything loaded so far is moved out of the cyclic collector's sight
    (``gc.freeze``). Those tables are some 400,000 objects that live as long as the process,
    and a full collection walked them all whenever enough objects had outlived the young
    generations: about once a minute a worker under load, 160-180 ms with the GIL held, and
    every request in the worker waited for it. Frozen, a full collection takes 2-4 ms.
    Reference counting still frees what the frozen objects drop.
    """
    try:
        parse(_WARM_TEXT)
        read_query(GeocodeRequest(districts=districts, text=_WARM_TEXT))
        pinyin_forms("华志路")
        named_chain(mask(_WARM_TEXT).text)
    except Exception:  # a request will meet the same error and answer it; the server stays up
        log.exception("warming up failed")
    gc.freeze()


def create_app(settings: Settings | None = None, url: str | None = None,
               replica_urls: list[str] | None = None) -> FastAPI:
    """Build the app; the pools open when the lifespan starts (``url`` and ``replica_urls``
    override settings)."""
    settings = settings or get_settings()
    app_keyring(settings)
    access_log.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_state(app.state, settings)
        target = url or database_url(settings)
        app.state.pool = open_pool(target, settings)
        app.state.replicas = open_replicas(
            settings.database.replica_url_list if replica_urls is None else replica_urls,
            app.state.pool, settings)
        app.state.queue = Queue(target, settings)
        worker = (InProcessWorker(Queue(target, settings, worker=True)).start()
                  if settings.jobs.in_process_worker else None)
        threading.Thread(target=warm_up, args=(settings.district_codes,), name="warm-up",
                         daemon=True).start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if app.state.replicas is not None:
                app.state.replicas.close()
            app.state.pool.close()

    app = FastAPI(
        title="dizhi",
        summary="Standard addresses, geocoding and spatial layers for a district (青浦区 sample)",
        version="0.1.0",
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,
    )
    install_error_handlers(app)
    routers = [  # matched in this order: the busiest first (health, geocoding, tickets)
        health.router,
        geocode.router,
        open311.router,
        exports.router,  # before hotline: /hotline/tickets.csv is not a ticket id
        hotline.router,
        admin_areas.router,
        address_api.router,
        places.router,  # before addresses: /addresses/{code} would take /addresses/pending
        addresses.router,
        imports.router,
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
        energy.router,
        energy_jobs.router,
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
