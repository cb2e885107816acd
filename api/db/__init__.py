"""Where the database is: the embedded cluster or ``DIZHI_DATABASE_URL``; pools and migrations."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from psycopg_pool import ConnectionPool

import migrations
from api.db.cluster import Cluster
from api.settings import Settings, get_settings


def embedded_cluster(settings: Settings | None = None) -> Cluster:
    settings = settings or get_settings()
    return Cluster(root=settings.var_dir / "pg", port=settings.database.port)


def database_url(settings: Settings | None = None, database: str | None = None) -> str:
    """The configured server, or the embedded cluster (which must be running)."""
    settings = settings or get_settings()
    if settings.database.url:
        return settings.database.url
    return embedded_cluster(settings).url(database or settings.database.name)


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(url).replace("%", "%%"))
    return config


def _with_keyring(config: Config) -> Config:
    from api.secret import app_keyring  # sealing existing rows needs the key (0009_pii)

    config.attributes["keyring"] = app_keyring()
    return config


def migrate(url: str, revision: str = "head") -> None:
    command.upgrade(_with_keyring(alembic_config(url)), revision)


def migrate_down(url: str, revision: str) -> None:
    command.downgrade(_with_keyring(alembic_config(url)), revision)


def open_pool(url: str, settings: Settings | None = None) -> ConnectionPool:
    settings = settings or get_settings()
    pool = ConnectionPool(
        url,
        min_size=settings.database.pool_min_size,
        max_size=settings.database.pool_max_size,
        kwargs={"autocommit": True},
        open=False,
    )
    pool.open(wait=True, timeout=30)
    return pool
