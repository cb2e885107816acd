"""The 12345 hotline: responsibility rules, tickets, their history."""

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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import BYTEA, JSONB

from migrations.tables.base import created_at, metadata

STAGES = ('受理', '派单', '处置', '办结', '回访')

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
    created_at(),
)

# A 12345 ticket (Open311 GeoReport v2 fields plus the routing). ``description_enc`` is the
# original text sealed with AES-GCM (layers/hotline/crypto.py; the key is never in the database),
# opened for the hotline and admin roles only; everyone else gets ``description_masked``.
# ``contact_enc`` seals the caller's contact fields, ``contact_masked`` shows them masked.
ticket = Table(
    "ticket", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("service_code", String(32), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'open'")),
    Column("description_enc", BYTEA, nullable=False),
    Column("description_masked", Text, nullable=False),
    Column("contact_enc", BYTEA),
    Column("contact_masked", JSONB, nullable=False, server_default=text("'{}'")),
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
    # the workflow stage (受理 → 派单 → 处置 → 办结 → 回访); ``status`` (open/closed) follows it
    Column("stage", String(8), nullable=False, server_default=text("'受理'")),
    Column("media_url", Text),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'")),  # Open311's
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    CheckConstraint(f"stage IN {STAGES}", name="stage"),
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


# Every change of a ticket's workflow stage, with who made it and the note (Open311 status_notes).
ticket_status = Table(
    "ticket_status", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("ticket_id", BigInteger, ForeignKey("ticket.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("stage", String(8), nullable=False),
    Column("note", Text, nullable=False, server_default=text("''")),
    Column("key_id", Integer),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# ``Idempotency-Key`` of a POST: the same key and body answer the stored response again.
idempotency_key = Table(
    "idempotency_key", metadata,
    Column("key", String(255), primary_key=True),
    Column("key_id", Integer, primary_key=True, server_default=text("0")),
    Column("body_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", Text, nullable=False),  # JSON text: JSONB would lose the field order
    created_at(),
)
