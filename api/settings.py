"""Settings from the environment (prefix ``DIZHI_``), read once through :func:`get_settings`.

One class with a section per concern; a nested field is set with ``__`` between section and field
(``DIZHI_TILE_CACHE__MEMORY_MB=256``). The flat names documented before the sections existed
(``DIZHI_DATABASE_URL``, ``DIZHI_PG_PORT``, ``DIZHI_TILE_CACHE_DIR``, ``DIZHI_RASTER_DIR`` …) keep
working; a nested name wins over its flat one. Code below ``api`` never reads settings: it gets
directories, limits and district codes as arguments.
"""

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseModel):
    # With no url the embedded cluster under var_dir is used.
    url: str | None = None
    port: int = 54329  # the embedded cluster's
    name: str = "dizhi"
    pool_min_size: int = 2
    pool_max_size: int = 20
    # how long a request waits for a pooled connection while the server is up but every
    # connection is busy (seconds; then 503): a queue under load, not an outage
    pool_timeout_s: float = 10.0
    # how long it waits while the server is unreachable (the pool's last connection attempt
    # failed): an outage answers 503 within about this long, not after a hang
    pool_down_timeout_s: float = 0.8
    # libpq's connect_timeout (seconds, at least 2) for the pool's background connects
    connect_timeout_s: int = 2
    # the longest wait between reconnection attempts while the server is away (seconds): the
    # pool is back within about this long after the server is
    reconnect_delay_max_s: float = 1.0
    # streaming replicas that serve reads (comma-separated URLs; docs/scale.md); empty: none
    replica_urls: str = ""
    # after a caller's write, its reads go to the primary this long (seconds), so that it reads
    # its own writes while the replicas catch up
    read_your_writes_s: float = 5.0
    # a replica whose replay lags more than this (seconds) serves no reads until it catches up
    # (measured about once a second; 0: no bound); /healthz shows each replica's lag
    replica_max_lag_s: float = 30.0

    @property
    def replica_url_list(self) -> list[str]:
        return [u.strip() for u in self.replica_urls.split(",") if u.strip()]


class TileCacheSettings(BaseModel):
    enabled: bool = True
    memory_mb: int = 128
    disk: bool = True
    dir: Path | None = None  # default: var_dir / "tiles"


class RasterSettings(BaseModel):
    dir: Path | None = None  # where registered rasters are kept as COGs; default var_dir/rasters


class RegistrySettings(BaseModel):
    # the districts the register covers (comma-separated adcodes); the first is the default
    districts: str = "310118"
    # an import flags a record more than this far from the address it matches
    conflict_distance_m: float = 100.0


class LimitSettings(BaseModel):
    """What one request may send (413 past a limit; README "Limits")."""

    upload_mb: int = 200  # one layer or raster file
    inflated_mb: int = 1024  # a zipped upload, unpacked
    zip_ratio: float = 100.0  # unpacked / packed
    features: int = 1_000_000  # in one layer upload
    vertices: int = 100_000  # in one feature
    batch_mb: int = 50  # one batch geocoding file (any key but public)
    batch_mb_public: int = 1  # … for a key of the public role
    batch_rows: int = 1_000_000
    batch_rows_public: int = 10_000


class JobSettings(BaseModel):
    """The queue's workers (docs/jobs.md)."""

    in_process_worker: bool = True  # the app runs one worker beside it (dizhi serve --no-worker)
    concurrency: int = 1  # jobs one worker process runs at once
    chunk_rows: int = 2000  # rows a chunked job commits at a time
    heartbeat_s: float = 2.0  # how often a worker says it is alive
    stalled_after_s: float = 10.0  # a worker silent this long is dead: its jobs run elsewhere
    max_attempts: int = 5  # tries of one job (a killed worker's resumption counts as one)
    retry_wait_s: int = 2  # backoff after a failed try: 2, 4, 8 … seconds
    keep_errors: int = 1000  # failed rows kept with their line and reason (all are counted)
    work_dir: Path | None = None  # a job's temporary files; default var_dir/jobs


# flat environment names → (section, field): those that predate the sections, and
# DIZHI_DATABASE_REPLICA_URLS beside DIZHI_DATABASE_URL
LEGACY_NAMES = {
    "DATABASE_URL": ("database", "url"),
    "PG_PORT": ("database", "port"),
    "DATABASE_NAME": ("database", "name"),
    "POOL_MIN_SIZE": ("database", "pool_min_size"),
    "POOL_MAX_SIZE": ("database", "pool_max_size"),
    "POOL_TIMEOUT_S": ("database", "pool_timeout_s"),
    "POOL_DOWN_TIMEOUT_S": ("database", "pool_down_timeout_s"),
    "DATABASE_REPLICA_URLS": ("database", "replica_urls"),
    "TILE_CACHE_ENABLED": ("tile_cache", "enabled"),
    "TILE_CACHE_MEMORY_MB": ("tile_cache", "memory_mb"),
    "TILE_CACHE_DISK": ("tile_cache", "disk"),
    "TILE_CACHE_DIR": ("tile_cache", "dir"),
    "RASTER_DIR": ("raster", "dir"),
    "DISTRICTS": ("registry", "districts"),
    "CONFLICT_DISTANCE_M": ("registry", "conflict_distance_m"),
}


class LegacyEnvSource(PydanticBaseSettingsSource):
    """The flat ``DIZHI_*`` names of :data:`LEGACY_NAMES`, as nested values."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is done in __call__

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, (section, key) in LEGACY_NAMES.items():
            value = os.environ.get(f"DIZHI_{name}")
            if value is not None:
                found.setdefault(section, {})[key] = value
        return found


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIZHI_", env_nested_delimiter="__")

    var_dir: Path = PROJECT_ROOT / "var"
    data_dir: Path = PROJECT_ROOT / "data"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    tile_cache: TileCacheSettings = Field(default_factory=TileCacheSettings)
    raster: RasterSettings = Field(default_factory=RasterSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    # seals tickets' original text and contacts; unset: a key file under var_dir (api/secret.py)
    secret_key: SecretStr | None = None
    # origins that may call the address, geocode and tile endpoints from a browser
    # (comma-separated; "*" for any; empty: no CORS headers)
    cors_origins: str = ""
    # a Ray cluster for batch work (`--engine ray`); unset: a local Ray on this machine's cores
    ray_address: str | None = None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, LegacyEnvSource(settings_cls), dotenv_settings,
                file_secret_settings)

    @model_validator(mode="after")
    def _directories_under_var(self) -> "Settings":
        if self.tile_cache.dir is None:
            self.tile_cache.dir = self.var_dir / "tiles"
        if self.raster.dir is None:
            self.raster.dir = self.var_dir / "rasters"
        if self.jobs.work_dir is None:
            self.jobs.work_dir = self.var_dir / "jobs"
        return self

    @property
    def district_codes(self) -> tuple[str, ...]:
        """The covered districts' adcodes, the default first."""
        return tuple(c.strip() for c in self.registry.districts.split(",") if c.strip())

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def tile_cache_dir(self) -> Path:
        assert self.tile_cache.dir is not None  # set by the validator
        return self.tile_cache.dir

    @property
    def cesium_dir(self) -> Path:
        """CesiumJS's built files, from the npm package the Makefile installs."""
        return self.var_dir / "node" / "node_modules" / "cesium" / "Build" / "Cesium"

    @property
    def raster_dir(self) -> Path:
        assert self.raster.dir is not None  # set by the validator
        return self.raster.dir


@lru_cache
def get_settings() -> Settings:
    return Settings()
