"""hotline: 12345 tickets, their history, responsibility rules

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The default responsibility table (editable later: PUT /hotline/rules, `dizhi hotline rules`).
# (service_code or None for any, area code prefix, priority, unit template, note)
DEFAULT_RULES = [
    (None, "", 0, "区12345分中心（人工分拨）", "no district: dispatched by hand"),
    (None, "31", 0, "转{district_name}12345分中心", "Shanghai, outside Qingpu: handed over"),
    (None, "310118", 0, "青浦区城运中心", "in Qingpu, town unknown"),
    (None, "310118", 10, "{town_name}城运中心", "any category in a known town"),
    ("sanitation", "310118", 0, "{town_name}城管中队", "市容环卫 → the town's 城管中队"),
    ("illegal_building", "310118", 0, "{town_name}城管中队", "违法建筑 → the town's 城管中队"),
    ("noise", "310118", 0, "{town_name}派出所", "社会生活噪声 → the town's police station"),
    ("water", "310118", 0, "青浦区水务局", "水务 → 区水务局"),
    ("water", "310118102", 0, "朱家角镇水务管理站", "水务 in 朱家角镇 (water town) → its own station"),
    ("road", "310118", 0, "青浦区建设和管理委员会", "道路设施 → 区建管委"),
    ("greenery", "310118", 0, "青浦区绿化和市容管理局", "绿化 → 区绿化市容局"),
    ("traffic", "310118", 0, "青浦公安分局交警支队", "交通秩序 → 交警支队"),
    ("pollution", "310118", 0, "青浦区生态环境局", "环境污染 → 区生态环境局"),
    ("property", "310118", 0, "{community_name}", "物业管理 → the 居委会/村委会"),
]


def upgrade() -> None:
    rule = op.create_table('hotline_rule',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_code', sa.String(length=32), nullable=True),
    sa.Column('area_code', sa.String(length=20), server_default=sa.text("''"), nullable=False),
    sa.Column('priority', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_rule'))
    )
    op.create_table('ticket',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('service_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_masked', sa.Text(), nullable=False),
    sa.Column('pii', postgresql.JSONB(astext_type=Text()), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('address_string', sa.Text(), nullable=True),
    sa.Column('address_id', sa.String(length=40), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('address_code', sa.String(length=40), nullable=True),
    sa.Column('formatted_address', sa.Text(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('match_type', sa.String(length=16), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('candidates', postgresql.JSONB(astext_type=Text()), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('location_source', sa.String(length=8), nullable=True),
    sa.Column('point', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('gps_point', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('gps_distance_m', sa.Float(), nullable=True),
    sa.Column('gps_disagrees', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('district_code', sa.String(length=20), nullable=True),
    sa.Column('town_code', sa.String(length=20), nullable=True),
    sa.Column('community_code', sa.String(length=20), nullable=True),
    sa.Column('grid_code', sa.String(length=20), nullable=True),
    sa.Column('responsible_unit', sa.Text(), nullable=True),
    sa.Column('rule_id', sa.BigInteger(), nullable=True),
    sa.Column('rule', sa.Text(), nullable=True),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_ticket_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket'))
    )
    op.create_index('ix_ticket_point', 'ticket', ['point'], unique=False, postgresql_using='gist')
    op.create_index('ix_ticket_town_code', 'ticket', ['town_code', 'requested_at'], unique=False)
    op.create_index('ix_ticket_requested_at', 'ticket', ['requested_at'], unique=False)
    op.create_index('ix_ticket_address_code', 'ticket', ['address_code'], unique=False)
    op.create_index('ix_ticket_unrouted', 'ticket', ['id'], unique=False, postgresql_where=sa.text('rule IS NULL'))
    op.create_table('ticket_history',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('ticket_id', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('assignment', postgresql.JSONB(astext_type=Text()), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_ticket_history_ticket_id_ticket'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_history'))
    )
    op.create_index(op.f('ix_ticket_history_ticket_id'), 'ticket_history', ['ticket_id'], unique=False)
    op.bulk_insert(rule, [
        {"service_code": s, "area_code": a, "priority": p, "unit": u, "note": n}
        for s, a, p, u, n in DEFAULT_RULES])


def downgrade() -> None:
    op.drop_index(op.f('ix_ticket_history_ticket_id'), table_name='ticket_history')
    op.drop_table('ticket_history')
    op.drop_index('ix_ticket_unrouted', table_name='ticket', postgresql_where=sa.text('rule IS NULL'))
    op.drop_index('ix_ticket_address_code', table_name='ticket')
    op.drop_index('ix_ticket_requested_at', table_name='ticket')
    op.drop_index('ix_ticket_town_code', table_name='ticket')
    op.drop_index('ix_ticket_point', table_name='ticket', postgresql_using='gist')
    op.drop_table('ticket')
    op.drop_table('hotline_rule')
