"""The layer catalog, its versions, the raster catalog, quality rules and their runs."""

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

from migrations.tables.base import ACCESS_LEVELS, created_at, metadata

RASTER_KINDS = ("dsm", "dem", "other")

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
    created_at(),
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
    created_at(),
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
    created_at(),
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
    created_at(),
)
