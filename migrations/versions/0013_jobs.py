"""Durable jobs: procrastinate's queue schema; a job's input, chunks, errors and cancelled state

Revision ID: 0013_jobs
Revises: 0012_import

procrastinate's own schema (its tables, types, functions and triggers, all named
``procrastinate_*``) is applied from the installed package, which pyproject.toml pins to one minor
version; moving to another means a migration that applies procrastinate's files from
``procrastinate/sql/migrations`` in between (docs/jobs.md).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_jobs"
down_revision: str | None = "0012_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "status IN ('queued', 'running', 'done', 'failed')"
NEW_STATUSES = "status IN ('queued', 'running', 'done', 'failed', 'cancelled')"

DROP_PROCRASTINATE = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN SELECT tablename FROM pg_tables
               WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\\_%' LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%' LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.sig);
  END LOOP;
  FOR item IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\\_%'
                 AND t.typtype IN ('e', 'c') LOOP
    EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
  END LOOP;
END $$;
"""


def upgrade() -> None:
    from procrastinate.schema import SchemaManager

    op.get_bind().exec_driver_sql(SchemaManager.get_schema().replace("%", "%%"))
    op.add_column("job", sa.Column("input", sa.LargeBinary(), nullable=True))
    op.add_column("job", sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()),
                                   server_default=sa.text("'[]'"), nullable=False))
    op.add_column("job", sa.Column("error_count", sa.Integer(), server_default=sa.text("0"),
                                   nullable=False))
    op.add_column("job", sa.Column("attempts", sa.Integer(), server_default=sa.text("0"),
                                   nullable=False))
    op.add_column("job", sa.Column("queue_id", sa.BigInteger(), nullable=True))
    op.add_column("job", sa.Column("worker", sa.Text(), nullable=True))
    op.add_column("job", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("job", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("job", sa.Column("updated_at", sa.DateTime(timezone=True),
                                   server_default=sa.text("now()"), nullable=False))
    op.drop_constraint(op.f("ck_job_status"), "job", type_="check")
    op.create_check_constraint(op.f("ck_job_status"), "job", NEW_STATUSES)
    op.create_index("ix_job_key_id", "job", ["key_id"])
    op.create_table(
        "job_chunk",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("extra", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_job_chunk_job_id_job"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "start", name=op.f("pk_job_chunk")),
    )


def downgrade() -> None:
    op.drop_table("job_chunk")
    op.drop_index("ix_job_key_id", table_name="job")
    op.execute("DELETE FROM job WHERE status = 'cancelled'")
    op.drop_constraint(op.f("ck_job_status"), "job", type_="check")
    op.create_check_constraint(op.f("ck_job_status"), "job", OLD_STATUSES)
    for column in ("updated_at", "started_at", "heartbeat_at", "worker", "queue_id", "attempts", "error_count", "errors",
                   "input"):
        op.drop_column("job", column)
    op.get_bind().exec_driver_sql(DROP_PROCRASTINATE.replace("%", "%%"))
