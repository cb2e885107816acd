"""What the app keeps on ``app.state``, built from settings when the lifespan starts, and the
dependencies that hand it to routes (``async def``, so FastAPI runs them on the event loop, not
on a thread: api/params.py says why). The CLI builds the same things from the same settings."""

from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import State

from api.settings import Settings
from tiles.cache import TileCache, VersionedCache


def tile_cache(settings: Settings) -> TileCache:
    section = settings.tile_cache
    return TileCache(directory=settings.tile_cache_dir, enabled=section.enabled,
                     memory_mb=section.memory_mb, disk=section.disk)


def install_state(state: State, settings: Settings) -> None:
    """Everything routes take from ``app.state`` besides the pool."""
    state.settings = settings
    state.tile_cache = tile_cache(settings)
    state.artifacts = VersionedCache()


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_tile_cache(request: Request) -> TileCache:
    cache: TileCache = request.app.state.tile_cache
    return cache


async def get_artifacts(request: Request) -> VersionedCache:
    cache: VersionedCache = request.app.state.artifacts
    return cache


def get_raster_dir(request: Request) -> Path:
    return get_app_settings(request).raster_dir


async def get_districts(request: Request) -> tuple[str, ...]:
    return get_app_settings(request).district_codes


TileCacheDep = Annotated[TileCache, Depends(get_tile_cache)]
ArtifactsDep = Annotated[VersionedCache, Depends(get_artifacts)]
RasterDirDep = Annotated[Path, Depends(get_raster_dir)]
DistrictsDep = Annotated[tuple[str, ...], Depends(get_districts)]
