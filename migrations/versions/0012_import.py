"""import at steward scale and register hygiene: staged import rows, their errors, pending
addresses for a steward; places managed (status, aliases, merged_into, version, history); the
place a source record names

Revision ID: 0012_import
Revises: 0011_threed
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_import"
down_revision: str | None = "0011_threed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())


def _place_columns() -> None:
    op.add_column("place", sa.Column("status", sa.String(length=16),
                                     server_default=sa.text("'active'"), nullable=False))
    op.add_column("place", sa.Column("aliases", postgresql.ARRAY(sa.Text()),
                                     server_default=sa.text("'{}'"), nullable=False))
    op.add_column("place", sa.Column("merged_into", sa.String(length=20), nullable=True))
    op.add_column("place", sa.Column("version", sa.Integer(), server_default=sa.text("1"),
                                     nullable=False))
    op.create_check_constraint(op.f("ck_place_status"), "place",
                               "status IN ('active', 'merged', 'retired')")
    op.create_table(
        "place_history",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("place_code", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("aliases", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"),
                  nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_history")),
        sa.UniqueConstraint("place_code", "version", name="uq_place_history_version"),
    )
    op.create_index(op.f("ix_place_history_place_code"), "place_history", ["place_code"])
    op.execute("""INSERT INTO place_history (place_code, version, action, name, status)
                  SELECT code, 1, 'create', name, 'active' FROM place""")


def _import_tables() -> None:
    op.add_column("address_import", sa.Column("options", JSONB, server_default=sa.text("'{}'"),
                                              nullable=False))
    op.add_column("address_import", sa.Column("next_line", sa.Integer(),
                                              server_default=sa.text("0"), nullable=False))
    op.create_table(
        "import_row",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("raw", JSONB, server_default=sa.text("'{}'"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_import_row")),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "import_error",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_import_error")),
    )
    op.create_table(
        "address_pending",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("place_kind", sa.String(length=16), nullable=False),
        sa.Column("place_name", sa.Text(), nullable=False),
        sa.Column("similar_to", sa.Text(), nullable=True),
        sa.Column("district_code", sa.String(length=20), nullable=False),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'open'"),
                  nullable=False),
        sa.Column("address_code", sa.String(length=40), nullable=True),
        sa.Column("reviewer", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('open', 'approved', 'rejected')",
                           name=op.f("ck_address_pending_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_address_pending")),
    )
    op.create_index(op.f("ix_address_pending_import_id"), "address_pending", ["import_id"])
    op.create_index("ix_address_pending_open", "address_pending", ["source", "line_no"],
                    unique=True, postgresql_where=sa.text("status = 'open'"))
    op.add_column("address_source_record", sa.Column("place", sa.Text(), nullable=True))
    op.execute("""UPDATE address_source_record r SET place = p.kind || ':' || p.name
                  FROM place p WHERE p.code = left(r.address_code, 12)""")
    op.create_index("ix_address_source_record_place", "address_source_record",
                    ["place", "source"])


def upgrade() -> None:
    _place_columns()
    _import_tables()


def downgrade() -> None:
    op.drop_index("ix_address_source_record_place", table_name="address_source_record")
    op.drop_column("address_source_record", "place")
    op.drop_table("address_pending")
    op.drop_table("import_error")
    op.drop_table("import_row")
    op.drop_column("address_import", "next_line")
    op.drop_column("address_import", "options")
    op.drop_table("place_history")
    op.drop_constraint(op.f("ck_place_status"), "place", type_="check")
    for column in ("version", "merged_into", "aliases", "status"):
        op.drop_column("place", column)
