"""The one MetaData every schema module declares its tables on (Alembic's ``target_metadata``),
with the project's constraint naming convention."""

from sqlalchemy import Column, DateTime, MetaData, func

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def created_column() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())
