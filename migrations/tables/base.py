"""What every table module shares: the one MetaData (Alembic's ``target_metadata``, through
:mod:`migrations.schema`), its naming convention, common columns and value lists."""

from sqlalchemy import Column, DateTime, MetaData, func

from migrations.tables.values import ACCESS_LEVELS, ROLES

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

__all__ = ["ACCESS_LEVELS", "ROLES", "created_at", "include_object", "metadata"]


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For autogenerate: tables in the database but not here (PostGIS's, layers) are not ours."""
    return not (type_ == "table" and reflected and compare_to is None)


def created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())
