"""The register's places and code segments, address imports, jobs, dataset loads."""

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from migrations.tables.base import created_at, metadata

PLACE_STATUSES = ("active", "merged", "retired")

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
    # managed by stewards (address.register.places): a renamed or merged place keeps its old
    # names here; a merged place points at the one it went into; every change is in place_history
    Column("status", String(16), nullable=False, server_default=text("'active'")),
    Column("aliases", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("merged_into", String(20)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint(f"status IN {PLACE_STATUSES}", name="status"),
    UniqueConstraint("district_code", "kind", "name", name="uq_place_name"),
    Index("ix_place_name_prefix", "name", postgresql_ops={"name": "text_pattern_ops"}),
    Index("ix_place_pinyin_prefix", "pinyin", postgresql_ops={"pinyin": "text_pattern_ops"}),
    Index("ix_place_initials_prefix", "initials",
          postgresql_ops={"initials": "text_pattern_ops"}),
    Index("ix_place_bigrams", "bigrams", postgresql_using="gin"),
    Index("ix_place_pinyin_trgm", "pinyin", postgresql_using="gin",
          postgresql_ops={"pinyin": "gin_trgm_ops"}),
)

# Every version of a managed place: what it was after each change, who made it and why.
place_history = Table(
    "place_history", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("place_code", String(20), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("aliases", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("status", String(16), nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'")),
    Column("key_id", Integer),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("place_code", "version", name="uq_place_history_version"),
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
    created_at(),
    Column("finished_at", DateTime(timezone=True)),
    # what the chunked import (address.register.imports) needs to resume: its options and the
    # last staged line done
    Column("options", JSONB, nullable=False, server_default=text("'{}'")),
    Column("next_line", Integer, nullable=False, server_default=text("0")),
)

# The rows of an import as read, before they are parsed and matched (COPY'd in; deleted when
# the import is done). UNLOGGED: staging is rebuilt from the file, not from a crash.
import_row = Table(
    "import_row", metadata,
    Column("import_id", BigInteger, primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("lng", Float),
    Column("lat", Float),
    Column("raw", JSONB, nullable=False, server_default=text("'{}'")),
    Column("error", Text),
    prefixes=["UNLOGGED"],
)

# A failed (rejected) row of an import: its line, why, and its text.
import_error = Table(
    "import_error", metadata,
    Column("import_id", BigInteger, primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("text", Text, nullable=False, server_default=text("''")),
)

# An imported row that would make a new road or place (or one a typo away from a known one):
# held for a steward, not part of the register (nor of geocoding) until approved.
address_pending = Table(
    "address_pending", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("import_id", BigInteger, index=True),
    Column("source", Text, nullable=False),
    Column("line_no", Integer),
    Column("raw_text", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("place_kind", String(16), nullable=False),
    Column("place_name", Text, nullable=False),
    Column("similar_to", Text),
    Column("district_code", String(20), nullable=False),
    Column("lng", Float),
    Column("lat", Float),
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("address_code", String(40)),
    Column("reviewer", Text),
    Column("note", Text),
    created_at(),
    Column("resolved_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('open', 'approved', 'rejected')", name="status"),
    Index("ix_address_pending_open", "source", "line_no", unique=True,
          postgresql_where=text("status = 'open'")),
)

# Long work (batch geocoding, layer uploads …), run by the queue's workers (api/jobs): progress,
# the input kept until the job ends, the rows that failed, then the result.
job = Table(
    "job", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'queued'")),
    Column("total", Integer, nullable=False, server_default=text("0")),
    Column("done", Integer, nullable=False, server_default=text("0")),
    Column("params", JSONB, nullable=False, server_default=text("'{}'")),
    Column("key_id", Integer, ForeignKey("api_key.id"), index=True),
    Column("error", Text),
    Column("result", LargeBinary),
    Column("result_geojson", LargeBinary),
    created_at(),
    Column("finished_at", DateTime(timezone=True)),
    Column("input", LargeBinary),
    Column("errors", JSONB, nullable=False, server_default=text("'[]'")),  # the first ones
    Column("error_count", Integer, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("queue_id", BigInteger),  # procrastinate_jobs.id
    Column("worker", Text),  # host:pid of the worker running (or that ran) the last attempt
    Column("heartbeat_at", DateTime(timezone=True)),  # that worker's lease, renewed as it runs
    Column("started_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'cancelled')",
                    name="status"),
)

# A chunked job's output, one row per committed chunk (written with the job's progress).
job_chunk = Table(
    "job_chunk", metadata,
    Column("job_id", BigInteger, ForeignKey("job.id", ondelete="CASCADE"), primary_key=True),
    Column("start", Integer, primary_key=True),  # the chunk's first row (0-based)
    Column("rows", Integer, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("extra", LargeBinary),
)

# What data set was loaded when: `dizhi load sample` skips an unchanged sample.
dataset_load = Table(
    "dataset_load", metadata,
    Column("name", Text, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'")),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
