"""Buildings: footprints as read from each source, conflation runs, fused buildings, lineage,
the review queue, address links."""

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from migrations.tables.base import created_at, metadata

BUILDING_MATCH_KINDS = ("1:1", "1:n", "n:1", "n:m", "unmatched")
BUILDING_REVIEW_STATUSES = ("open", "merged", "separate", "superseded")

# Raw rows of every imported footprint source, kept as read (attributes as JSON, geometry in 4326);
# ``digest`` (geometry + attributes) is what an incremental conflation compares.
building_source = Table(
    "building_source", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("source_id", Text, nullable=False),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'")),
    Column("digest", String(32), nullable=False),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("source", "source_id", name="uq_building_source_source_id"),
    Index("ix_building_source_geom", "geom", postgresql_using="gist"),
)

conflation_run = Table(
    "conflation_run", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("sources", ARRAY(Text), nullable=False),
    Column("params", JSONB, nullable=False, server_default=text("'{}'")),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'")),
    created_at(),
)

# The fused layer. ``component_key`` names the set of source rows a building came from and
# ``digest`` their content, so a re-run keeps the rows whose component did not change.
building = Table(
    "building", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("component_key", String(32), nullable=False, unique=True),
    Column("digest", String(32), nullable=False),
    Column("match_kind", String(16), nullable=False),
    Column("unmatched", Boolean, nullable=False, server_default=text("false")),
    Column("sources", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'")),
    Column("floors", Integer),
    Column("height_m", Float),
    Column("ground_m", Float),
    Column("height_source", Text),
    Column("quality", JSONB, nullable=False, server_default=text("'{}'")),
    Column("run_id", BigInteger, ForeignKey("conflation_run.id", ondelete="SET NULL")),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"match_kind IN {BUILDING_MATCH_KINDS}", name="match_kind"),
    Index("ix_building_geom", "geom", postgresql_using="gist"),
)

building_lineage = Table(
    "building_lineage", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("building_id", BigInteger, ForeignKey("building.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("source_row_id", BigInteger, ForeignKey("building_source.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("source", Text, nullable=False),
    Column("source_id", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("match_kind", String(16), nullable=False),
    Column("scores", JSONB, nullable=False, server_default=text("'{}'")),
    Column("run_id", BigInteger, ForeignKey("conflation_run.id", ondelete="SET NULL")),
    CheckConstraint("role IN ('geometry', 'attributes')", name="role"),
)

# n:m components wait here for a steward: ``merged`` fuses them into one building, ``separate``
# keeps the footprints of the highest-priority source as buildings of their own.
building_review = Table(
    "building_review", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("component_key", String(32), nullable=False, index=True),
    Column("digest", String(32), nullable=False),
    Column("kind", String(16), nullable=False, server_default=text("'n:m'")),
    Column("source_row_ids", ARRAY(BigInteger), nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'")),
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("reviewer", Text),
    Column("note", Text),
    created_at(),
    Column("resolved_at", DateTime(timezone=True)),
    CheckConstraint(f"status IN {BUILDING_REVIEW_STATUSES}", name="status"),
)

building_address = Table(
    "building_address", metadata,
    Column("address_code", String(40), primary_key=True),
    Column("building_id", BigInteger, ForeignKey("building.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("distance_m", Float, nullable=False, server_default=text("0")),
    Column("candidates", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("method IN ('inside', 'nearest')", name="method"),
)
