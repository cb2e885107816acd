"""Every table of dizhi, declared once; this MetaData is Alembic's ``target_metadata``.

Runtime code mostly writes SQL with bound parameters; these declarations are the reference for the
columns and are what migrations are generated from. Geometries are stored in EPSG:4326.
"""

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
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)



def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """For autogenerate: tables in the database but not here (PostGIS's, layers) are not ours."""
    return not (type_ == "table" and reflected and compare_to is None)


ADMIN_LEVELS = ("district", "town", "community", "grid")
ADDRESS_STATUSES = ("active", "pending", "retired")
ROLES = ("public", "hotline", "planner", "steward", "admin")


def _created() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


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
    _created(),
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
    _created(),
    UniqueConstraint("source", "line_no", name="uq_address_source_record_line"),
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
    _created(),
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
    _created(),
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
    _created(),
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

# --- buildings (issue 6): building, building_source, building_lineage, review queue, rasters ---

BUILDING_MATCH_KINDS = ("1:1", "1:n", "n:1", "n:m", "unmatched")
BUILDING_REVIEW_STATUSES = ("open", "merged", "separate", "superseded")
RASTER_KINDS = ("dsm", "dem", "other")

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
    _created(),
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
    _created(),
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

# --- end buildings ---

# --- layers (issue 7): layer catalog, versions, quality rules and results ---

ACCESS_LEVELS = ("public", "internal", "restricted")

# The catalog. Each version of a layer's features is its own table in schema ``layers``
# (``<name>__v<n>``); ``table_name`` is the current one. Those tables are made at run time and are
# not declared here (``include_object`` leaves them out of the comparison).
layer = Table(
    "layer", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=text("''")),
    Column("kind", String(16), nullable=False, server_default=text("'vector'")),
    Column("access_level", String(16), nullable=False, server_default=text("'internal'")),
    Column("owner", Text, nullable=False, server_default=text("''")),
    Column("source", Text, nullable=False, server_default=text("''")),
    Column("schema", String(63), nullable=False, server_default=text("'layers'")),
    Column("table_name", String(63), nullable=False),
    Column("crs", Text, nullable=False, server_default=text("''")),
    Column("geometry_type", String(32), nullable=False, server_default=text("''")),
    Column("bbox", ARRAY(Float)),
    Column("feature_count", BigInteger, nullable=False, server_default=text("0")),
    Column("fields", JSONB, nullable=False, server_default=text("'[]'")),
    Column("datetime_field", Text),
    Column("version", Integer, nullable=False, server_default=text("1")),
    _created(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"access_level IN {ACCESS_LEVELS}", name="access_level"),
)

layer_version = Table(
    "layer_version", metadata,
    Column("id", Integer, primary_key=True),
    Column("layer_id", Integer, ForeignKey("layer.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("table_name", String(63), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("feature_count", BigInteger, nullable=False),
    Column("report", JSONB, nullable=False, server_default=text("'{}'")),
    Column("created_by", Text, nullable=False, server_default=text("''")),
    _created(),
    UniqueConstraint("layer_id", "version", name="uq_layer_version_layer_id_version"),
    CheckConstraint("mode IN ('create', 'replace', 'append')", name="mode"),
)

# The raster catalog (spatial/rasters.py): DSM/DEM for heights and rasters served as tiles.
raster = Table(
    "raster", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("title", Text, nullable=False, server_default=text("''")),
    Column("kind", String(8), nullable=False),
    Column("access_level", String(16), nullable=False, server_default=text("'internal'")),
    Column("owner", Text, nullable=False, server_default=text("''")),
    Column("path", Text, nullable=False),
    Column("crs", Text, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("resolution", Float, nullable=False),
    Column("nodata", Float),
    Column("synthetic", Boolean, nullable=False, server_default=text("false")),
    Column("source", Text, nullable=False),
    Column("geom", Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False),
    # zooms: stored copies only; bands: NULL for a raster registered before the catalogs were one
    Column("minzoom", Integer),
    Column("maxzoom", Integer),
    Column("band_count", Integer),
    Column("dtype", String(16)),
    Column("stats", JSONB, nullable=False, server_default=text("'{}'")),
    _created(),
    CheckConstraint(f"kind IN {RASTER_KINDS}", name="kind"),
    CheckConstraint(f"access_level IN {ACCESS_LEVELS}", name="access_level"),
    Index("ix_raster_geom", "geom", postgresql_using="gist"),
)

# One declarative rule set per resource (a catalog layer or a built-in collection).
quality_ruleset = Table(
    "quality_ruleset", metadata,
    Column("resource", String(63), primary_key=True),
    Column("rules", JSONB, nullable=False, server_default=text("'[]'")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

quality_run = Table(
    "quality_run", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("resource", String(63), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("feature_count", BigInteger, nullable=False),
    Column("results", JSONB, nullable=False, server_default=text("'[]'")),
    _created(),
)

# --- end layers ---

# --- registry (issue 4): address imports, jobs ---

# Named places an address hangs off (road, compound, village, POI, devzone): the "road/compound"
# segment of the address code, and the terms behind as-you-type suggestions. ``bigrams`` holds the
# name's single characters and character pairs: 1–2 character Chinese input, which pg_trgm indexes
# poorly, is answered by array containment on it.
place = Table(
    "place", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("district_code", String(20), nullable=False),
    Column("town_code", String(20), nullable=False, server_default=text("''")),
    Column("pinyin", Text, nullable=False, server_default=text("''")),
    Column("initials", Text, nullable=False, server_default=text("''")),
    Column("bigrams", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("address_count", Integer, nullable=False, server_default=text("0")),
    Column("point", Geometry("POINT", srid=4326, spatial_index=False)),
    UniqueConstraint("district_code", "kind", "name", name="uq_place_name"),
    Index("ix_place_name_prefix", "name", postgresql_ops={"name": "text_pattern_ops"}),
    Index("ix_place_pinyin_prefix", "pinyin", postgresql_ops={"pinyin": "text_pattern_ops"}),
    Index("ix_place_initials_prefix", "initials",
          postgresql_ops={"initials": "text_pattern_ops"}),
    Index("ix_place_bigrams", "bigrams", postgresql_using="gin"),
    Index("ix_place_pinyin_trgm", "pinyin", postgresql_using="gin",
          postgresql_ops={"pinyin": "gin_trgm_ops"}),
)

# Sequences for code segments that are not plain numbers (东1号楼, A座 …), per parent code.
code_segment = Table(
    "code_segment", metadata,
    Column("parent_code", String(40), primary_key=True),
    Column("text", Text, primary_key=True),
    Column("seq", Integer, nullable=False),
)

address_import = Table(
    "address_import", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("source", Text, nullable=False),
    Column("filename", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'running'")),
    Column("rows_total", Integer, nullable=False, server_default=text("0")),
    Column("rows_imported", Integer, nullable=False, server_default=text("0")),
    Column("rows_failed", Integer, nullable=False, server_default=text("0")),
    Column("summary", JSONB, nullable=False, server_default=text("'{}'")),
    Column("errors", JSONB, nullable=False, server_default=text("'[]'")),
    _created(),
    Column("finished_at", DateTime(timezone=True)),
)

# Long work over the API (batch geocoding …): progress, then the result.
job = Table(
    "job", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'queued'")),
    Column("total", Integer, nullable=False, server_default=text("0")),
    Column("done", Integer, nullable=False, server_default=text("0")),
    Column("params", JSONB, nullable=False, server_default=text("'{}'")),
    Column("key_id", Integer, ForeignKey("api_key.id")),
    Column("error", Text),
    Column("result", LargeBinary),
    Column("result_geojson", LargeBinary),
    _created(),
    Column("finished_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status"),
)

# What data set was loaded when: `dizhi load sample` skips an unchanged sample.
dataset_load = Table(
    "dataset_load", metadata,
    Column("name", Text, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'")),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# --- end registry ---

# --- hotline (issue 5): tickets, their history, responsibility rules ---

# Who answers a ticket: the rule whose area code is the longest prefix of the ticket's admin chain
# wins, a rule for the ticket's category beats a rule for any (NULL), then ``priority``. ``unit``
# is a template over the chain's names and codes ({town_name}, {community_name}, {grid_code} …).
hotline_rule = Table(
    "hotline_rule", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("service_code", String(32)),
    Column("area_code", String(20), nullable=False, server_default=text("''")),
    Column("priority", Integer, nullable=False, server_default=text("0")),
    Column("unit", Text, nullable=False),
    Column("note", Text, nullable=False, server_default=text("''")),
    _created(),
)

# A 12345 ticket (Open311 GeoReport v2 fields plus the routing). ``description`` is the original
# text, readable by the hotline and admin roles only; everyone else gets ``description_masked``.
ticket = Table(
    "ticket", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("service_code", String(32), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("description", Text, nullable=False),
    Column("description_masked", Text, nullable=False),
    Column("pii", JSONB, nullable=False, server_default=text("'[]'")),
    Column("address_string", Text),
    Column("address_id", String(40)),
    Column("address_text", Text),
    Column("address_code", String(40)),
    Column("formatted_address", Text),
    Column("level", String(16)),
    Column("match_type", String(16)),
    Column("confidence", Float),
    Column("candidates", JSONB, nullable=False, server_default=text("'[]'")),
    Column("location_source", String(8)),
    Column("point", Geometry("POINT", srid=4326, spatial_index=False)),
    Column("gps_point", Geometry("POINT", srid=4326, spatial_index=False)),
    Column("gps_distance_m", Float),
    Column("gps_disagrees", Boolean, nullable=False, server_default=text("false")),
    Column("district_code", String(20)),
    Column("town_code", String(20)),
    Column("community_code", String(20)),
    Column("grid_code", String(20)),
    Column("responsible_unit", Text),
    Column("rule_id", BigInteger),
    Column("rule", Text),
    Column("key_id", Integer),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    Index("ix_ticket_point", "point", postgresql_using="gist"),
    Index("ix_ticket_town_code", "town_code", "requested_at"),
    Index("ix_ticket_requested_at", "requested_at"),
    Index("ix_ticket_address_code", "address_code"),
    # accepted with ``Prefer: respond-async`` and not routed yet (routed tickets always have a rule)
    Index("ix_ticket_unrouted", "id", postgresql_where=text("rule IS NULL")),
)

# Each earlier assignment of a ticket (re-routing after boundary changes keeps the old one here).
ticket_history = Table(
    "ticket_history", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("ticket_id", BigInteger, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("reason", Text, nullable=False),
    Column("assignment", JSONB, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# --- end hotline ---
