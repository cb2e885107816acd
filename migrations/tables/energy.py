"""The energy tables (issue 18): parks, enterprises, meters, readings, clean intervals, roll-ups,
coefficients and emission factors, alarms.

``reading`` and ``energy_interval`` are partitioned by month (Asia/Shanghai months); the
partitions are made on demand by ``layers.energy.partitions`` and are not declared here. Row-level
security (an enterprise key sees only its own enterprise) and the triggers (no cycles in the
sub-metering tree, a corrected reading keeps its old value) are created by migration 0006.
"""

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
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

METER_KINDS = ("electricity", "water", "gas", "steam", "heat")
READING_TYPES = ("cumulative", "interval")
QUALITIES = ("measured", "estimated", "suspect")
ROLLUP_SCOPES = ("meter", "enterprise", "building", "park")
ROLLUP_GRAINS = ("hour", "day", "month")
ALARM_STATES = ("open", "acknowledged", "closed")
ALARM_SEVERITIES = ("info", "warning", "critical")


def _valid_period() -> list[Column[object]]:
    return [Column("valid_from", Date, nullable=False),
            Column("valid_to", Date)]


park = Table(
    "park", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("synthetic", Boolean, nullable=False, server_default=text("false")),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
    created_at(),
    Index("ix_park_geom", "geom", postgresql_using="gist"),
)

# ``credit_code`` is the 18-character 统一社会信用代码; its GB 32100 check character is verified by
# layers.energy.model before a row is written (the pattern here only keeps the shape).
enterprise = Table(
    "enterprise", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("park_code", String(32), ForeignKey("park.code", ondelete="RESTRICT")),
    Column("name", Text, nullable=False),
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("address_code", String(40)),
    Column("address_text", Text),
    Column("staff_band", Text),
    Column("synthetic", Boolean, nullable=False, server_default=text("false")),
    created_at(),
    CheckConstraint("credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'", name="credit_code"),
)

enterprise_building = Table(
    "enterprise_building", metadata,
    Column("enterprise_id", BigInteger, ForeignKey("enterprise.id", ondelete="CASCADE"),
           primary_key=True),
    Column("building_id", BigInteger, ForeignKey("building.id", ondelete="CASCADE"),
           primary_key=True),
    Column("floor_share", Float, nullable=False, server_default=text("1")),
    CheckConstraint("floor_share > 0 AND floor_share <= 1", name="floor_share"),
)

# Output per month (万元) for 万元产值能耗 and 单位工业增加值能耗.
enterprise_output = Table(
    "enterprise_output", metadata,
    Column("enterprise_id", BigInteger, ForeignKey("enterprise.id", ondelete="CASCADE"),
           primary_key=True),
    Column("month", Date, primary_key=True),
    Column("gross_output_10k_yuan", Float),
    Column("value_added_10k_yuan", Float),
)

# An enterprise key (role ``enterprise``) is bound to one enterprise.
enterprise_key = Table(
    "enterprise_key", metadata,
    Column("key_id", Integer, ForeignKey("api_key.id", ondelete="CASCADE"), primary_key=True),
    Column("enterprise_id", BigInteger, ForeignKey("enterprise.id", ondelete="CASCADE"),
           nullable=False),
)

# ``id`` is the caller's meter number (gateway or utility). ``multiplier`` is CT × PT;
# ``register_max`` the value at which a cumulative register rolls over to zero.
meter = Table(
    "meter", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", Text, nullable=False, server_default=text("''")),
    Column("kind", String(16), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("reading_type", String(16), nullable=False),
    Column("multiplier", Float, nullable=False, server_default=text("1")),
    Column("register_max", Float),
    Column("parent_id", String(64), ForeignKey("meter.id", ondelete="RESTRICT")),
    Column("counted_in_parent", Boolean, nullable=False, server_default=text("true")),
    Column("park_code", String(32), ForeignKey("park.code", ondelete="RESTRICT")),
    Column("enterprise_id", BigInteger, ForeignKey("enterprise.id", ondelete="RESTRICT")),
    Column("building_id", BigInteger, ForeignKey("building.id", ondelete="SET NULL")),
    Column("synthetic", Boolean, nullable=False, server_default=text("false")),
    created_at(),
    CheckConstraint(f"kind IN {METER_KINDS}", name="kind"),
    CheckConstraint(f"reading_type IN {READING_TYPES}", name="reading_type"),
    CheckConstraint("multiplier > 0", name="multiplier"),
    CheckConstraint("register_max IS NULL OR register_max > 0", name="register_max"),
    CheckConstraint("parent_id IS DISTINCT FROM id", name="not_own_parent"),
    Index("ix_meter_parent_id", "parent_id"),
    Index("ix_meter_enterprise_id", "enterprise_id"),
    Index("ix_meter_building_id", "building_id"),
)

# A physical meter swapped at ``replaced_at``: the old register's last value and the new one's
# first, so the consumption across the swap is exact.
meter_replacement = Table(
    "meter_replacement", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("meter_id", String(64), ForeignKey("meter.id", ondelete="CASCADE"), nullable=False),
    Column("replaced_at", DateTime(timezone=True), nullable=False),
    Column("old_final", Float, nullable=False),
    Column("new_initial", Float, nullable=False, server_default=text("0")),
    Column("old_serial", Text),
    Column("new_serial", Text),
    Column("note", Text, nullable=False, server_default=text("''")),
    UniqueConstraint("meter_id", "replaced_at", name="uq_meter_replacement_meter_id"),
)

# Raw readings as received: a cumulative register value or an interval's consumption, before the
# multiplier. The same (meter, ts) twice is one row; a different value replaces it and the old
# one goes to ``reading_revision`` (trigger).
# No foreign key to ``meter``: its per-row check cost more than the rest of an ingest; the one
# write path (layers.energy.readings) refuses unknown meters, and a meter's delete trigger
# removes its readings (migration 0006).
reading = Table(
    "reading", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("ts", DateTime(timezone=True), primary_key=True),
    Column("value", Float, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("source", String(16), nullable=False, server_default=text("'api'")),
    postgresql_partition_by="RANGE (ts)",
)

reading_revision = Table(
    "reading_revision", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("meter_id", String(64), nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    Column("old_value", Float, nullable=False),
    Column("new_value", Float, nullable=False),
    Column("old_received_at", DateTime(timezone=True), nullable=False),
    Column("old_source", String(16), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_reading_revision_meter_id", "meter_id", "ts"),
)

# Clean 15-minute consumption per meter (multiplier applied), ``ts`` the interval's start.
# No foreign key either (migration 0008): its check per row was half of writing a day of
# intervals; the recompute writes only meters it read from ``meter``, and a meter's delete
# trigger removes its intervals.
energy_interval = Table(
    "energy_interval", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("ts", DateTime(timezone=True), primary_key=True),
    Column("value", Float, nullable=False),
    Column("quality", String(16), nullable=False),
    Column("flag", String(16)),
    CheckConstraint(f"quality IN {QUALITIES}", name="quality"),
    postgresql_partition_by="RANGE (ts)",
)

# Days (Asia/Shanghai) whose readings changed since they were last cleaned and rolled up.
energy_dirty_day = Table(
    "energy_dirty_day", metadata,
    Column("meter_id", String(64), ForeignKey("meter.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("marked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Hour, day and month totals per meter, enterprise, building and park, by kind of energy (no
# hours of a meter: its intervals are those, four to the hour).
energy_rollup = Table(
    "energy_rollup", metadata,
    Column("scope", String(16), primary_key=True),
    Column("scope_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("grain", String(8), primary_key=True),
    Column("ts", DateTime(timezone=True), primary_key=True),
    Column("value", Float, nullable=False),
    Column("estimated", Float, nullable=False, server_default=text("0")),
    Column("suspect", Float, nullable=False, server_default=text("0")),
    Column("peak_15min", Float),
    Column("intervals", Integer, nullable=False, server_default=text("0")),
    # a day row's use in the night (00:00–05:00) and the hours either side (05–07, 22–24 h)
    Column("night", Float),
    Column("night_intervals", Integer),
    Column("shoulders", Float),
    Column("shoulder_intervals", Integer),
    CheckConstraint(f"scope IN {ROLLUP_SCOPES}", name="scope"),
    CheckConstraint(f"grain IN {ROLLUP_GRAINS}", name="grain"),
)

# GB/T 2589 conversion to standard coal, versioned: ``basis`` 当量值 (equivalent) or 等价值.
coefficient = Table(
    "coefficient", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("medium", String(32), nullable=False),
    Column("basis", String(16), nullable=False, server_default=text("'equivalent'")),
    Column("region", String(32), nullable=False, server_default=text("'CN'")),
    Column("value", Float, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("source", Text, nullable=False),
    *_valid_period(),
    Column("note", Text, nullable=False, server_default=text("''")),
    CheckConstraint("basis IN ('equivalent', 'equal_value')", name="basis"),
    UniqueConstraint("medium", "basis", "region", "valid_from", name="uq_coefficient_medium"),
)

# CO₂ per unit of purchased energy: national grid, East China grid, Shanghai local accounting …
emission_factor = Table(
    "emission_factor", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("medium", String(32), nullable=False),
    Column("scope", String(32), nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("source", Text, nullable=False),
    *_valid_period(),
    Column("note", Text, nullable=False, server_default=text("''")),
    UniqueConstraint("medium", "scope", "valid_from", name="uq_emission_factor_medium"),
)

energy_alarm = Table(
    "energy_alarm", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("meter_id", String(64), ForeignKey("meter.id", ondelete="CASCADE"), nullable=False),
    Column("enterprise_id", BigInteger, ForeignKey("enterprise.id", ondelete="CASCADE")),
    Column("kind", String(32), nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True)),
    Column("severity", String(16), nullable=False, server_default=text("'warning'")),
    Column("state", String(16), nullable=False, server_default=text("'open'")),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'")),
    created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(f"state IN {ALARM_STATES}", name="state"),
    CheckConstraint(f"severity IN {ALARM_SEVERITIES}", name="severity"),
    UniqueConstraint("meter_id", "kind", "start", name="uq_energy_alarm_meter_id"),
    Index("ix_energy_alarm_enterprise_id", "enterprise_id", "start"),
)

# A meter's anomaly baseline (layers.energy.anomaly.Baseline) from its clean slots before
# ``through``: per day of the week × quarter hour (672) the median and scaled MAD, the number of
# history slots and the night median; kept so a day's scan need not read 28 days again.
energy_baseline = Table(
    "energy_baseline", metadata,
    Column("meter_id", String(64), ForeignKey("meter.id", ondelete="CASCADE"), primary_key=True),
    Column("through", DateTime(timezone=True), nullable=False),
    Column("slots", Integer, nullable=False),
    Column("median", ARRAY(Float), nullable=False),
    Column("spread", ARRAY(Float), nullable=False),
    Column("night_median", Float),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
