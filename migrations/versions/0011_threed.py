"""basemap_feature: the planners' map context (OSM metro lines, stations, expressways)

Revision ID: 0011_threed
Revises: 0010_hotlineapi
"""
from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0011_threed"
down_revision: str | None = "0010_hotlineapi"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "basemap_feature",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("ref", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("geom", geoalchemy2.types.Geometry(srid=4326, spatial_index=False,
                                                     from_text="ST_GeomFromEWKT", name="geometry",
                                                     nullable=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basemap_feature")),
    )
    op.create_index("ix_basemap_feature_geom", "basemap_feature", ["geom"], unique=False,
                    postgresql_using="gist")


def downgrade() -> None:
    op.drop_index("ix_basemap_feature_geom", table_name="basemap_feature",
                  postgresql_using="gist")
    op.drop_table("basemap_feature")
