"""registry: address imports, places and code segments, jobs, local keys for geocoding

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dataset_load',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_dataset_load'))
    )
    op.create_table('address_import',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), server_default=sa.text("'running'"), nullable=False),
    sa.Column('rows_total', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('rows_imported', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('rows_failed', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('summary', postgresql.JSONB(astext_type=Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('errors', postgresql.JSONB(astext_type=Text()), server_default=sa.text("'[]'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_import'))
    )
    op.create_table('code_segment',
    sa.Column('parent_code', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('parent_code', 'text', name=op.f('pk_code_segment'))
    )
    op.create_table('place',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('district_code', sa.String(length=20), nullable=False),
    sa.Column('town_code', sa.String(length=20), server_default=sa.text("''"), nullable=False),
    sa.Column('pinyin', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('initials', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('bigrams', postgresql.ARRAY(Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('address_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('point', geoalchemy2.types.Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place')),
    sa.UniqueConstraint('code', name=op.f('uq_place_code')),
    sa.UniqueConstraint('district_code', 'kind', 'name', name='uq_place_name')
    )
    op.create_index('ix_place_bigrams', 'place', ['bigrams'], unique=False, postgresql_using='gin')
    op.create_index('ix_place_initials_prefix', 'place', ['initials'], unique=False, postgresql_ops={'initials': 'text_pattern_ops'})
    op.create_index('ix_place_name_prefix', 'place', ['name'], unique=False, postgresql_ops={'name': 'text_pattern_ops'})
    op.create_index('ix_place_pinyin_prefix', 'place', ['pinyin'], unique=False, postgresql_ops={'pinyin': 'text_pattern_ops'})
    op.create_index('ix_place_pinyin_trgm', 'place', ['pinyin'], unique=False, postgresql_using='gin', postgresql_ops={'pinyin': 'gin_trgm_ops'})
    op.create_table('job',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), server_default=sa.text("'queued'"), nullable=False),
    sa.Column('total', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('done', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result', sa.LargeBinary(), nullable=True),
    sa.Column('result_geojson', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status')),
    sa.ForeignKeyConstraint(['key_id'], ['api_key.id'], name=op.f('fk_job_key_id_api_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.add_column('address', sa.Column('local_key', sa.Text(), server_default=sa.text("''"), nullable=False))
    op.add_column('address', sa.Column('level', sa.String(length=16), server_default=sa.text("''"), nullable=False))
    op.add_column('address', sa.Column('place_code', sa.String(length=20), nullable=True))
    op.create_index('ix_address_local_key_trgm', 'address', ['local_key'], unique=False, postgresql_using='gin', postgresql_ops={'local_key': 'gin_trgm_ops'}, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_index('ix_address_local_key', 'address', ['local_key'], unique=False, postgresql_ops={'local_key': 'text_pattern_ops'}, postgresql_where=sa.text('valid_to IS NULL'))
    op.create_index('ix_address_place_code', 'address', ['place_code'], unique=False)
    op.create_index('ix_address_doors', 'address', ['place_code'], unique=False, postgresql_where=sa.text("valid_to IS NULL AND level = '门牌号'"))


def downgrade() -> None:
    op.drop_table('dataset_load')
    op.drop_index('ix_address_doors', table_name='address')
    op.drop_index('ix_address_place_code', table_name='address')
    op.drop_index('ix_address_local_key', table_name='address', postgresql_ops={'local_key': 'text_pattern_ops'}, postgresql_where=sa.text('valid_to IS NULL'))
    op.drop_index('ix_address_local_key_trgm', table_name='address')
    op.drop_column('address', 'place_code')
    op.drop_column('address', 'level')
    op.drop_column('address', 'local_key')
    op.drop_table('job')
    op.drop_index('ix_place_pinyin_trgm', table_name='place', postgresql_using='gin', postgresql_ops={'pinyin': 'gin_trgm_ops'})
    op.drop_index('ix_place_pinyin_prefix', table_name='place', postgresql_ops={'pinyin': 'text_pattern_ops'})
    op.drop_index('ix_place_name_prefix', table_name='place', postgresql_ops={'name': 'text_pattern_ops'})
    op.drop_index('ix_place_initials_prefix', table_name='place', postgresql_ops={'initials': 'text_pattern_ops'})
    op.drop_index('ix_place_bigrams', table_name='place', postgresql_using='gin')
    op.drop_table('place')
    op.drop_table('code_segment')
    op.drop_table('address_import')
