"""Settings from the environment (prefix ``DIZHI_``), read once through :func:`get_settings`."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIZHI_")

    # With no database_url the embedded cluster under var_dir is used.
    database_url: str | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    pg_port: int = 54329
    database_name: str = "dizhi"
    data_dir: Path = PROJECT_ROOT / "data"
    pool_min_size: int = 2
    pool_max_size: int = 20
    # the districts the register covers (comma-separated adcodes); the first is the default
    districts: str = "310118"
    # an import flags a record more than this far from the address it matches
    conflict_distance_m: float = 100.0

    @property
    def district_codes(self) -> tuple[str, ...]:
        return tuple(code.strip() for code in self.districts.split(",") if code.strip())


@lru_cache
def get_settings() -> Settings:
    return Settings()
