"""energy_baseline: each meter's anomaly baseline, kept between scans; energy_interval loses
its foreign key (the meter's delete trigger removes its intervals as it does its readings)

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "energy_baseline",
        sa.Column("meter_id", sa.String(length=64), nullable=False),
        sa.Column("through", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("median", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("spread", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("night_median", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"],
                                name=op.f("fk_energy_baseline_meter_id_meter"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meter_id", name=op.f("pk_energy_baseline")),
    )
    op.drop_constraint("fk_energy_interval_meter_id_meter", "energy_interval", type_="foreignkey")
    op.execute(DELETE_TRIGGER.format(also="DELETE FROM energy_interval WHERE meter_id = OLD.id;"))


DELETE_TRIGGER = """
CREATE OR REPLACE FUNCTION energy_meter_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reading WHERE meter_id = OLD.id;
  {also}
  RETURN OLD;
END $$;
"""


def downgrade() -> None:
    op.execute(DELETE_TRIGGER.format(also=""))
    op.create_foreign_key("fk_energy_interval_meter_id_meter", "energy_interval", "meter",
                          ["meter_id"], ["id"], ondelete="CASCADE")
    op.drop_table("energy_baseline")
