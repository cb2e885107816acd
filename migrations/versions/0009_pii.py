"""pii: a ticket's original text and the caller's contact are stored sealed (AES-GCM, bytea);
the plain ``description`` column goes, existing rows are sealed with the current key

Revision ID: 0009_pii
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from layers.hotline.crypto import Keyring, current_keyring
from layers.hotline.sealed import DESCRIPTION

revision: str = "0009_pii"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keyring() -> Keyring:
    found = op.get_context().config.attributes.get("keyring")
    return found if isinstance(found, Keyring) else current_keyring()


def upgrade() -> None:
    op.add_column("ticket", sa.Column("description_enc", postgresql.BYTEA(), nullable=True))
    op.add_column("ticket", sa.Column("contact_enc", postgresql.BYTEA(), nullable=True))
    op.add_column("ticket", sa.Column("contact_masked", postgresql.JSONB(),
                                      server_default=sa.text("'{}'"), nullable=False))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, description FROM ticket")).fetchall()
    if rows:
        keyring = _keyring()
        conn.execute(sa.text("UPDATE ticket SET description_enc = :enc WHERE id = :id"),
                     [{"id": r[0], "enc": keyring.encrypt(r[1], purpose=DESCRIPTION)}
                      for r in rows])
    op.alter_column("ticket", "description_enc", nullable=False)
    op.drop_column("ticket", "description")


def downgrade() -> None:
    op.add_column("ticket", sa.Column("description", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, description_enc FROM ticket")).fetchall()
    if rows:
        keyring = _keyring()
        conn.execute(sa.text("UPDATE ticket SET description = :d WHERE id = :id"),
                     [{"id": r[0], "d": keyring.decrypt(r[1], purpose=DESCRIPTION)}
                      for r in rows])
    op.alter_column("ticket", "description", nullable=False)
    op.drop_column("ticket", "contact_masked")
    op.drop_column("ticket", "contact_enc")
    op.drop_column("ticket", "description_enc")
