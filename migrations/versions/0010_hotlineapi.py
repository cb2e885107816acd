"""hotline workflow and hand-over: the ticket's stage (受理 → 派单 → 处置 → 办结 → 回访) and its
history, media_url and Open311 attributes, Idempotency-Key of POSTs, the rule handing tickets
outside Shanghai to that city's hotline

Revision ID: 0010_hotlineapi
Revises: 0009_pii
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_hotlineapi"
down_revision: str | None = "0009_pii"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = "('受理', '派单', '处置', '办结', '回访')"
CITY_RULE = "转{city_name}12345热线"


def upgrade() -> None:
    op.add_column("ticket", sa.Column("stage", sa.String(length=8),
                                      server_default=sa.text("'受理'"), nullable=False))
    op.add_column("ticket", sa.Column("media_url", sa.Text(), nullable=True))
    op.add_column("ticket", sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()),
                                      server_default=sa.text("'{}'"), nullable=False))
    op.execute("UPDATE ticket SET stage = CASE WHEN status = 'closed' THEN '办结'"
               " WHEN rule IS NOT NULL THEN '派单' ELSE '受理' END")
    op.create_check_constraint(op.f("ck_ticket_stage"), "ticket", f"stage IN {STAGES}")
    op.create_table(
        "ticket_status",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"],
                                name=op.f("fk_ticket_status_ticket_id_ticket"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_status")),
    )
    op.create_index(op.f("ix_ticket_status_ticket_id"), "ticket_status", ["ticket_id"])
    op.create_table(
        "idempotency_key",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("key_id", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("key", "key_id", name=op.f("pk_idempotency_key")),
    )
    op.execute("INSERT INTO hotline_rule (service_code, area_code, priority, unit, note) VALUES"
               f" (NULL, '', 5, '{CITY_RULE}', 'outside Shanghai: that city''s hotline')")


def downgrade() -> None:
    op.execute(f"DELETE FROM hotline_rule WHERE area_code = '' AND unit = '{CITY_RULE}'")
    op.drop_table("idempotency_key")
    op.drop_index(op.f("ix_ticket_status_ticket_id"), table_name="ticket_status")
    op.drop_table("ticket_status")
    op.drop_constraint(op.f("ck_ticket_stage"), "ticket", type_="check")
    op.drop_column("ticket", "attributes")
    op.drop_column("ticket", "media_url")
    op.drop_column("ticket", "stage")
