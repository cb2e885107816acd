"""The core: admin areas, roads, addresses with their aliases, source records, conflicts and
objections; API keys and the audit log."""

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

from migrations.tables.base import ROLES, created_at, metadata

ADMIN_LEVELS = ("district", "town", "community", "grid")
ADDRESS_STATUSES = ("active", "pending", "retired")




admin_area = Table(
    "admin_area", metadata,
    Column("code", String(20), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_code", String(20), ForeignKey("admin_area.code"), index=True),
    Column("synthetic", Boolean, nullable=False, server_default=text("false")),
    Column("source", Text, nullable=False),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    CheckConstraint(f"level IN {ADMIN_LEVELS}", name="level"),
    Index("ix_admin_area_geom", "geom", postgresql_using="gist"),
    Index("ix_admin_area_level", "level"),
)

# Map context under the data (the planners' basemap): OSM metro lines and stations and
# expressways of the district, as shipped in data/sample/transport (ODbL).
basemap_feature = Table(
    "basemap_feature", metadata,
    Column("id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=text("''")),
    Column("ref", Text, nullable=False, server_default=text("''")),
    Column("source", Text, nullable=False),
    Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
    Index("ix_basemap_feature_geom", "geom", postgresql_using="gist"),
)

road = Table(
    "road", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False, index=True),
    Column("aliases", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("town_code", String(20), ForeignKey("admin_area.code")),
    Column("geom", Geometry("MULTILINESTRING", srid=4326, spatial_index=False)),
    Index("ix_road_geom", "geom", postgresql_using="gist"),
)

# One row per version of a standard address: a change closes the current row (valid_to) and adds
# the next version under the same code, so retired and superseded addresses stay queryable.
address = Table(
    "address", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("code", String(40), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("status", String(16), nullable=False, server_default=text("'active'")),
    Column("components", JSONB, nullable=False, server_default=text("'{}'")),
    Column("canonical", Text, nullable=False),
    Column("address_key", Text, nullable=False),
    # the key below the admin levels (road, number, building …), for queries that omit them
    Column("local_key", Text, nullable=False, server_default=text("''")),
    Column("level", String(16), nullable=False, server_default=text("''")),
    Column("place_code", String(20)),
    Column("point", Geometry("POINT", srid=4326, spatial_index=False)),
    Column("building_id", BigInteger),
    Column("district_code", String(20)),
    Column("town_code", String(20)),
    Column("community_code", String(20)),
    Column("grid_code", String(20)),
    Column("tags", JSONB, nullable=False, server_default=text("'{}'")),
    Column("valid_from", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("valid_to", DateTime(timezone=True)),
    CheckConstraint(f"status IN {ADDRESS_STATUSES}", name="status"),
    UniqueConstraint("code", "version", name="uq_address_code_version"),
    Index("ix_address_point", "point", postgresql_using="gist"),
    Index(
        "ix_address_current_code", "code", unique=True, postgresql_where=text("valid_to IS NULL")
    ),
    Index("ix_address_key", "address_key"),
    Index("ix_address_town_code", "town_code"),
    Index("ix_address_local_key", "local_key", postgresql_ops={"local_key": "text_pattern_ops"},
          postgresql_where=text("valid_to IS NULL")),
    Index("ix_address_place_code", "place_code"),
    # the doors of a road, for interpolation (a road may have thousands of rooms under it)
    Index("ix_address_doors", "place_code",
          postgresql_where=text("valid_to IS NULL AND level = '门牌号'")),
    # pg_trgm reads CJK as word characters under C.UTF-8: typo-tolerant look-ups on long keys
    Index("ix_address_local_key_trgm", "local_key", postgresql_using="gin",
          postgresql_ops={"local_key": "gin_trgm_ops"}, postgresql_where=text("valid_to IS NULL")),
)

address_alias = Table(
    "address_alias", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("address_code", String(40), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("normalized", Text, nullable=False, index=True),
    created_at(),
)

address_source_record = Table(
    "address_source_record", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("line_no", Integer),
    Column("raw_text", Text, nullable=False),
    Column("raw", JSONB, nullable=False, server_default=text("'{}'")),
    Column("raw_coordsys", String(8)),
    Column("point", Geometry("POINT", srid=4326, spatial_index=False)),
    Column("components", JSONB, nullable=False, server_default=text("'{}'")),
    Column("address_code", String(40), index=True),
    Column("match_score", Float),
    # "kind:name" of the record's road or place: whether another source has seen a new one
    Column("place", Text),
    created_at(),
    UniqueConstraint("source", "line_no", name="uq_address_source_record_line"),
    Index("ix_address_source_record_place", "place", "source"),
)

address_conflict = Table(
    "address_conflict", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("address_code", String(40), index=True),
    Column("record_ids", ARRAY(BigInteger), nullable=False, server_default=text("'{}'")),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'")),
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("reviewer", Text),
    Column("note", Text),
    created_at(),
    Column("resolved_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('open', 'accepted', 'rejected')", name="status"),
)

objection = Table(
    "objection", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("address_code", String(40), nullable=False, index=True),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("submitted_by", Text),
    Column("history", JSONB, nullable=False, server_default=text("'[]'")),
    created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('open', 'verifying', 'resolved', 'rejected')", name="status"),
)

api_key = Table(
    "api_key", metadata,
    Column("id", Integer, primary_key=True),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("name", Text, nullable=False, server_default=text("''")),
    created_at(),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint(f"role IN {ROLES}", name="role"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("key_id", Integer, ForeignKey("api_key.id")),
    Column("role", String(16), nullable=False),
    Column("action", Text, nullable=False),
    Column("resource", Text, nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'")),
    Index("ix_audit_log_at", "at"),
)
