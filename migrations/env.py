"""Alembic environment: the URL comes from the Config (set by ``api.db.alembic_config``)."""

from alembic import context
from sqlalchemy import create_engine, pool

from migrations.schema import include_object, metadata

config = context.config


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            include_object=include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
