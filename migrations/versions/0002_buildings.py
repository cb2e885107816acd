"""buildings: footprints from sources, fused buildings, lineage, review queue, rasters

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('building_review',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('component_key', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), server_default=sa.text("'n:m'"), nullable=False),
    sa.Column('source_row_ids', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('status', sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
    sa.Column('reviewer', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'merged', 'separate', 'superseded')", name=op.f('ck_building_review_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building_review'))
    )
    op.create_index(op.f('ix_building_review_component_key'), 'building_review', ['component_key'], unique=False)
    op.create_table('building_source',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_id', sa.Text(), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building_source')),
    sa.UniqueConstraint('source', 'source_id', name='uq_building_source_source_id')
    )
    op.create_index('ix_building_source_geom', 'building_source', ['geom'], unique=False, postgresql_using='gist')
    op.create_table('conflation_run',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflation_run'))
    )
    op.create_table('raster',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('crs', sa.Text(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('resolution', sa.Float(), nullable=False),
    sa.Column('nodata', sa.Float(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('dsm', 'dem')", name=op.f('ck_raster_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raster')),
    sa.UniqueConstraint('name', name=op.f('uq_raster_name'))
    )
    op.create_index('ix_raster_geom', 'raster', ['geom'], unique=False, postgresql_using='gist')
    op.create_table('building',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('component_key', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.Column('match_kind', sa.String(length=16), nullable=False),
    sa.Column('unmatched', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('floors', sa.Integer(), nullable=True),
    sa.Column('height_m', sa.Float(), nullable=True),
    sa.Column('ground_m', sa.Float(), nullable=True),
    sa.Column('height_source', sa.Text(), nullable=True),
    sa.Column('quality', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("match_kind IN ('1:1', '1:n', 'n:1', 'n:m', 'unmatched')", name=op.f('ck_building_match_kind')),
    sa.ForeignKeyConstraint(['run_id'], ['conflation_run.id'], name=op.f('fk_building_run_id_conflation_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building')),
    sa.UniqueConstraint('component_key', name=op.f('uq_building_component_key'))
    )
    op.create_index('ix_building_geom', 'building', ['geom'], unique=False, postgresql_using='gist')
    op.create_table('building_address',
    sa.Column('address_code', sa.String(length=40), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('distance_m', sa.Float(), server_default=sa.text('0'), nullable=False),
    sa.Column('candidates', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("method IN ('inside', 'nearest')", name=op.f('ck_building_address_method')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_building_address_building_id_building'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('address_code', name=op.f('pk_building_address'))
    )
    op.create_index(op.f('ix_building_address_building_id'), 'building_address', ['building_id'], unique=False)
    op.create_table('building_lineage',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('source_row_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('source_id', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('match_kind', sa.String(length=16), nullable=False),
    sa.Column('scores', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("role IN ('geometry', 'attributes')", name=op.f('ck_building_lineage_role')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_building_lineage_building_id_building'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['conflation_run.id'], name=op.f('fk_building_lineage_run_id_conflation_run'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_row_id'], ['building_source.id'], name=op.f('fk_building_lineage_source_row_id_building_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_building_lineage'))
    )
    op.create_index(op.f('ix_building_lineage_building_id'), 'building_lineage', ['building_id'], unique=False)
    op.create_index(op.f('ix_building_lineage_source_row_id'), 'building_lineage', ['source_row_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_building_lineage_source_row_id'), table_name='building_lineage')
    op.drop_index(op.f('ix_building_lineage_building_id'), table_name='building_lineage')
    op.drop_table('building_lineage')
    op.drop_index(op.f('ix_building_address_building_id'), table_name='building_address')
    op.drop_table('building_address')
    op.drop_index('ix_building_geom', table_name='building', postgresql_using='gist')
    op.drop_table('building')
    op.drop_index('ix_raster_geom', table_name='raster', postgresql_using='gist')
    op.drop_table('raster')
    op.drop_table('conflation_run')
    op.drop_index('ix_building_source_geom', table_name='building_source', postgresql_using='gist')
    op.drop_table('building_source')
    op.drop_index(op.f('ix_building_review_component_key'), table_name='building_review')
    op.drop_table('building_review')
