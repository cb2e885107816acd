"""layers: catalog, versions, quality rules and results

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCESS = "access_level IN ('public', 'internal', 'restricted')"


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _jsonb(name: str, default: str) -> sa.Column:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text(default), nullable=False)


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS layers")
    op.create_table(
        "layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default=sa.text("'vector'"), nullable=False),
        sa.Column("access_level", sa.String(length=16), server_default=sa.text("'internal'"), nullable=False),
        sa.Column("owner", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("source", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("schema", sa.String(length=63), server_default=sa.text("'layers'"), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("crs", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("geometry_type", sa.String(length=32), server_default=sa.text("''"), nullable=False),
        sa.Column("bbox", postgresql.ARRAY(sa.Float()), nullable=True),
        sa.Column("feature_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        _jsonb("fields", "'[]'"),
        sa.Column("datetime_field", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(ACCESS, name=op.f("ck_layer_access_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_layer_name")),
    )
    op.create_table(
        "layer_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("feature_count", sa.BigInteger(), nullable=False),
        _jsonb("report", "'{}'"),
        sa.Column("created_by", sa.Text(), server_default=sa.text("''"), nullable=False),
        _created(),
        sa.CheckConstraint("mode IN ('create', 'replace', 'append')", name=op.f("ck_layer_version_mode")),
        sa.ForeignKeyConstraint(["layer_id"], ["layer.id"], name=op.f("fk_layer_version_layer_id_layer"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layer_version")),
        sa.UniqueConstraint("layer_id", "version", name="uq_layer_version_layer_id_version"),
    )
    op.create_table(
        "raster_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("access_level", sa.String(length=16), server_default=sa.text("'internal'"), nullable=False),
        sa.Column("owner", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("bounds", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("minzoom", sa.Integer(), nullable=False),
        sa.Column("maxzoom", sa.Integer(), nullable=False),
        sa.Column("band_count", sa.Integer(), nullable=False),
        sa.Column("dtype", sa.String(length=16), nullable=False),
        sa.Column("nodata", sa.Float(), nullable=True),
        _jsonb("stats", "'{}'"),
        _created(),
        sa.CheckConstraint(ACCESS, name=op.f("ck_raster_layer_access_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raster_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_raster_layer_name")),
    )
    op.create_table(
        "quality_ruleset",
        sa.Column("resource", sa.String(length=63), nullable=False),
        _jsonb("rules", "'[]'"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("resource", name=op.f("pk_quality_ruleset")),
    )
    op.create_table(
        "quality_run",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("resource", sa.String(length=63), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("feature_count", sa.BigInteger(), nullable=False),
        _jsonb("results", "'[]'"),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_run")),
    )
    op.create_index(op.f("ix_quality_run_resource"), "quality_run", ["resource"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_quality_run_resource"), table_name="quality_run")
    op.drop_table("quality_run")
    op.drop_table("quality_ruleset")
    op.drop_table("raster_layer")
    op.drop_table("layer_version")
    op.drop_table("layer")
    op.execute("DROP SCHEMA IF EXISTS layers CASCADE")
