"""core schema: admin areas, addresses and companions, keys, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:37:49.260482
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "address",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'active'"), nullable=False
        ),
        sa.Column(
            "components",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("canonical", sa.Text(), nullable=False),
        sa.Column("address_key", sa.Text(), nullable=False),
        sa.Column(
            "point",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("district_code", sa.String(length=20), nullable=True),
        sa.Column("town_code", sa.String(length=20), nullable=True),
        sa.Column("community_code", sa.String(length=20), nullable=True),
        sa.Column("grid_code", sa.String(length=20), nullable=True),
        sa.Column(
            "tags",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "valid_from",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'pending', 'retired')", name=op.f("ck_address_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address")),
        sa.UniqueConstraint("code", "version", name="uq_address_code_version"),
    )
    op.create_index(
        "ix_address_current_code",
        "address",
        ["code"],
        unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index("ix_address_key", "address", ["address_key"], unique=False)
    op.create_index("ix_address_point", "address", ["point"], unique=False, postgresql_using="gist")
    op.create_index("ix_address_town_code", "address", ["town_code"], unique=False)
    op.create_table(
        "address_alias",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("address_code", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_alias")),
    )
    op.create_index(
        op.f("ix_address_alias_address_code"), "address_alias", ["address_code"], unique=False
    )
    op.create_index(
        op.f("ix_address_alias_normalized"), "address_alias", ["normalized"], unique=False
    )
    op.create_table(
        "address_conflict",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address_code", sa.String(length=40), nullable=True),
        sa.Column(
            "record_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("reviewer", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'rejected')", name=op.f("ck_address_conflict_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_conflict")),
    )
    op.create_index(
        op.f("ix_address_conflict_address_code"), "address_conflict", ["address_code"], unique=False
    )
    op.create_table(
        "address_source_record",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column(
            "raw",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("raw_coordsys", sa.String(length=8), nullable=True),
        sa.Column(
            "point",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "components",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("address_code", sa.String(length=40), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_source_record")),
        sa.UniqueConstraint("source", "line_no", name="uq_address_source_record_line"),
    )
    op.create_index(
        op.f("ix_address_source_record_address_code"),
        "address_source_record",
        ["address_code"],
        unique=False,
    )
    op.create_table(
        "admin_area",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=20), nullable=True),
        sa.Column("synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "level IN ('district', 'town', 'community', 'grid')", name=op.f("ck_admin_area_level")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["admin_area.code"], name=op.f("fk_admin_area_parent_code_admin_area")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_admin_area")),
    )
    op.create_index(
        "ix_admin_area_geom", "admin_area", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index("ix_admin_area_level", "admin_area", ["level"], unique=False)
    op.create_index(op.f("ix_admin_area_parent_code"), "admin_area", ["parent_code"], unique=False)
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('public', 'hotline', 'planner', 'steward', 'admin')",
            name=op.f("ck_api_key_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_table(
        "objection",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("address_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
        sa.Column("submitted_by", sa.Text(), nullable=True),
        sa.Column(
            "history",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'verifying', 'resolved', 'rejected')",
            name=op.f("ck_objection_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    op.create_index(op.f("ix_objection_address_code"), "objection", ["address_code"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        sa.Column(
            "detail",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_key.id"], name=op.f("fk_audit_log_key_id_api_key")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_table(
        "road",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "aliases", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("town_code", sa.String(length=20), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTILINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["town_code"], ["admin_area.code"], name=op.f("fk_road_town_code_admin_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_road")),
    )
    op.create_index("ix_road_geom", "road", ["geom"], unique=False, postgresql_using="gist")
    op.create_index(op.f("ix_road_name"), "road", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_road_name"), table_name="road")
    op.drop_index("ix_road_geom", table_name="road", postgresql_using="gist")
    op.drop_table("road")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_objection_address_code"), table_name="objection")
    op.drop_table("objection")
    op.drop_table("api_key")
    op.drop_index(op.f("ix_admin_area_parent_code"), table_name="admin_area")
    op.drop_index("ix_admin_area_level", table_name="admin_area")
    op.drop_index("ix_admin_area_geom", table_name="admin_area", postgresql_using="gist")
    op.drop_table("admin_area")
    op.drop_index(op.f("ix_address_source_record_address_code"), table_name="address_source_record")
    op.drop_table("address_source_record")
    op.drop_index(op.f("ix_address_conflict_address_code"), table_name="address_conflict")
    op.drop_table("address_conflict")
    op.drop_index(op.f("ix_address_alias_normalized"), table_name="address_alias")
    op.drop_index(op.f("ix_address_alias_address_code"), table_name="address_alias")
    op.drop_table("address_alias")
    op.drop_index("ix_address_town_code", table_name="address")
    op.drop_index("ix_address_point", table_name="address", postgresql_using="gist")
    op.drop_index("ix_address_key", table_name="address")
    op.drop_index(
        "ix_address_current_code",
        table_name="address",
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.drop_table("address")
