"""energy (issue 18): parks, enterprises, meters, readings partitioned by month, clean intervals,
roll-ups, GB/T 2589 coefficients and CO₂ emission factors (seeded, with sources), alarms; the
roles ``energy`` and ``enterprise``, row-level security for enterprise keys.

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence
from datetime import date

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_tables() -> None:
    op.create_table('coefficient',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('medium', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=16), server_default=sa.text("'equivalent'"), nullable=False),
    sa.Column('region', sa.String(length=32), server_default=sa.text("'CN'"), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.CheckConstraint("basis IN ('equivalent', 'equal_value')", name=op.f('ck_coefficient_basis')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coefficient')),
    sa.UniqueConstraint('medium', 'basis', 'region', 'valid_from', name='uq_coefficient_medium')
    )
    op.create_table('emission_factor',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('medium', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emission_factor')),
    sa.UniqueConstraint('medium', 'scope', 'valid_from', name='uq_emission_factor_medium')
    )
    op.create_table('energy_rollup',
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('scope_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('grain', sa.String(length=8), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('estimated', sa.Float(), server_default=sa.text('0'), nullable=False),
    sa.Column('suspect', sa.Float(), server_default=sa.text('0'), nullable=False),
    sa.Column('peak_15min', sa.Float(), nullable=True),
    sa.Column('intervals', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.CheckConstraint("grain IN ('hour', 'day', 'month')", name=op.f('ck_energy_rollup_grain')),
    sa.CheckConstraint("scope IN ('meter', 'enterprise', 'building', 'park')", name=op.f('ck_energy_rollup_scope')),
    sa.PrimaryKeyConstraint('scope', 'scope_id', 'kind', 'grain', 'ts', name=op.f('pk_energy_rollup'))
    )
    op.create_table('park',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_park'))
    )
    op.create_index('ix_park_geom', 'park', ['geom'], unique=False, postgresql_using='gist')
    op.create_table('reading_revision',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_value', sa.Float(), nullable=False),
    sa.Column('new_value', sa.Float(), nullable=False),
    sa.Column('old_received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_source', sa.String(length=16), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reading_revision'))
    )
    op.create_index('ix_reading_revision_meter_id', 'reading_revision', ['meter_id', 'ts'], unique=False)
    op.create_table('enterprise',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('park_code', sa.String(length=32), nullable=True),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('address_code', sa.String(length=40), nullable=True),
    sa.Column('address_text', sa.Text(), nullable=True),
    sa.Column('staff_band', sa.Text(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'", name=op.f('ck_enterprise_credit_code')),
    sa.ForeignKeyConstraint(['park_code'], ['park.code'], name=op.f('fk_enterprise_park_code_park'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_enterprise_credit_code'))
    )
    op.create_table('enterprise_building',
    sa.Column('enterprise_id', sa.BigInteger(), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('floor_share', sa.Float(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint('floor_share > 0 AND floor_share <= 1', name=op.f('ck_enterprise_building_floor_share')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_enterprise_building_building_id_building'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_enterprise_building_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('enterprise_id', 'building_id', name=op.f('pk_enterprise_building'))
    )
    op.create_table('enterprise_key',
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_enterprise_key_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['api_key.id'], name=op.f('fk_enterprise_key_key_id_api_key'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_enterprise_key'))
    )
    op.create_table('enterprise_output',
    sa.Column('enterprise_id', sa.BigInteger(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('gross_output_10k_yuan', sa.Float(), nullable=True),
    sa.Column('value_added_10k_yuan', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_enterprise_output_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('enterprise_id', 'month', name=op.f('pk_enterprise_output'))
    )
    op.create_table('meter',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('reading_type', sa.String(length=16), nullable=False),
    sa.Column('multiplier', sa.Float(), server_default=sa.text('1'), nullable=False),
    sa.Column('register_max', sa.Float(), nullable=True),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('counted_in_parent', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('park_code', sa.String(length=32), nullable=True),
    sa.Column('enterprise_id', sa.BigInteger(), nullable=True),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('electricity', 'water', 'gas', 'steam', 'heat')", name=op.f('ck_meter_kind')),
    sa.CheckConstraint("reading_type IN ('cumulative', 'interval')", name=op.f('ck_meter_reading_type')),
    sa.CheckConstraint('multiplier > 0', name=op.f('ck_meter_multiplier')),
    sa.CheckConstraint('parent_id IS DISTINCT FROM id', name=op.f('ck_meter_not_own_parent')),
    sa.CheckConstraint('register_max IS NULL OR register_max > 0', name=op.f('ck_meter_register_max')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_meter_building_id_building'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_meter_enterprise_id_enterprise'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['parent_id'], ['meter.id'], name=op.f('fk_meter_parent_id_meter'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['park_code'], ['park.code'], name=op.f('fk_meter_park_code_park'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter'))
    )
    op.create_index('ix_meter_building_id', 'meter', ['building_id'], unique=False)
    op.create_index('ix_meter_enterprise_id', 'meter', ['enterprise_id'], unique=False)
    op.create_index('ix_meter_parent_id', 'meter', ['parent_id'], unique=False)
    op.create_table('energy_alarm',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('severity', sa.String(length=16), server_default=sa.text("'warning'"), nullable=False),
    sa.Column('state', sa.String(length=16), server_default=sa.text("'open'"), nullable=False),
    sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f('ck_energy_alarm_severity')),
    sa.CheckConstraint("state IN ('open', 'acknowledged', 'closed')", name=op.f('ck_energy_alarm_state')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.id'], name=op.f('fk_energy_alarm_enterprise_id_enterprise'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_energy_alarm_meter_id_meter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_energy_alarm')),
    sa.UniqueConstraint('meter_id', 'kind', 'start', name='uq_energy_alarm_meter_id')
    )
    op.create_index('ix_energy_alarm_enterprise_id', 'energy_alarm', ['enterprise_id', 'start'], unique=False)
    op.create_table('energy_dirty_day',
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_energy_dirty_day_meter_id_meter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meter_id', 'day', name=op.f('pk_energy_dirty_day'))
    )
    op.create_table('energy_interval',
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('quality', sa.String(length=16), nullable=False),
    sa.Column('flag', sa.String(length=16), nullable=True),
    sa.CheckConstraint("quality IN ('measured', 'estimated', 'suspect')", name=op.f('ck_energy_interval_quality')),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_energy_interval_meter_id_meter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meter_id', 'ts', name=op.f('pk_energy_interval')),
    postgresql_partition_by='RANGE (ts)'
    )
    op.create_table('meter_replacement',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_final', sa.Float(), nullable=False),
    sa.Column('new_initial', sa.Float(), server_default=sa.text('0'), nullable=False),
    sa.Column('old_serial', sa.Text(), nullable=True),
    sa.Column('new_serial', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], name=op.f('fk_meter_replacement_meter_id_meter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_replacement')),
    sa.UniqueConstraint('meter_id', 'replaced_at', name='uq_meter_replacement_meter_id')
    )
    op.create_table('reading',
    sa.Column('meter_id', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('source', sa.String(length=16), server_default=sa.text("'api'"), nullable=False),
    sa.PrimaryKeyConstraint('meter_id', 'ts', name=op.f('pk_reading')),
    postgresql_partition_by='RANGE (ts)'
    )


def _drop_tables() -> None:
    op.drop_table('reading')
    op.drop_table('meter_replacement')
    op.drop_table('energy_interval')
    op.drop_table('energy_dirty_day')
    op.drop_index('ix_energy_alarm_enterprise_id', table_name='energy_alarm')
    op.drop_table('energy_alarm')
    op.drop_index('ix_meter_parent_id', table_name='meter')
    op.drop_index('ix_meter_enterprise_id', table_name='meter')
    op.drop_index('ix_meter_building_id', table_name='meter')
    op.drop_table('meter')
    op.drop_table('enterprise_output')
    op.drop_table('enterprise_key')
    op.drop_table('enterprise_building')
    op.drop_table('enterprise')
    op.drop_index('ix_reading_revision_meter_id', table_name='reading_revision')
    op.drop_table('reading_revision')
    op.drop_index('ix_park_geom', table_name='park', postgresql_using='gist')
    op.drop_table('park')
    op.drop_table('energy_rollup')
    op.drop_table('emission_factor')
    op.drop_table('coefficient')


OLD_ROLES = "('public', 'hotline', 'planner', 'steward', 'admin')"
NEW_ROLES = "('public', 'hotline', 'planner', 'steward', 'admin', 'energy', 'enterprise')"

# GB/T 2589 conversion to standard coal (当量值 unless the basis says otherwise), per the unit a
# meter of that medium reads in. (medium, basis, value, unit, source, valid_from, note)
GB2589 = "GB/T 2589-2008《综合能耗计算通则》附录A"
GB2589_2020 = "GB/T 2589-2020《综合能耗计算通则》"
COEFFICIENTS = [
    ("electricity", "equivalent", 0.1229, "kgce/kWh", f"{GB2589}; unchanged in {GB2589_2020}",
     "2008-06-01", ""),
    ("electricity", "equal_value", 0.30, "kgce/kWh", "当年火电供电标准煤耗 (approximate)",
     "2008-06-01", "verify: a per-year parameter, set the year's published value"),
    ("heat", "equivalent", 0.03412, "kgce/MJ", f"{GB2589}; unchanged in {GB2589_2020}",
     "2008-06-01", ""),
    ("raw_coal", "equivalent", 0.7143, "kgce/kg", GB2589, "2008-06-01", ""),
    ("washed_coal", "equivalent", 0.9000, "kgce/kg", GB2589, "2008-06-01", ""),
    ("coke", "equivalent", 0.9714, "kgce/kg", GB2589, "2008-06-01", ""),
    ("crude_oil", "equivalent", 1.4286, "kgce/kg", GB2589, "2008-06-01", "also fuel oil"),
    ("gasoline", "equivalent", 1.4714, "kgce/kg", GB2589, "2008-06-01", "also kerosene"),
    ("diesel", "equivalent", 1.4571, "kgce/kg", GB2589, "2008-06-01", ""),
    ("lpg", "equivalent", 1.7143, "kgce/kg", GB2589, "2008-06-01", ""),
    ("refinery_gas", "equivalent", 1.5714, "kgce/kg", GB2589, "2008-06-01", ""),
    ("natural_gas", "equivalent", 1.2143, "kgce/m3", f"{GB2589} (气田天然气)", "2008-06-01",
     "the 2020 edition gives 1.1000–1.3300: prefer the supplier's heating value"),
    ("steam_low_pressure", "equivalent", 0.1286, "kgce/kg", f"{GB2589} (低压蒸汽)",
     "2008-06-01", "the 2020 edition computes steam from its enthalpy"),
    ("fresh_water", "equivalent", 0.2571, "kgce/t", f"{GB2589} (新水, 耗能工质)", "2008-06-01",
     ""),
    ("softened_water", "equivalent", 0.4857, "kgce/t", f"{GB2589} (软化水)", "2008-06-01", ""),
    ("compressed_air", "equivalent", 0.0400, "kgce/m3", f"{GB2589} (压缩空气)", "2008-06-01",
     ""),
    ("oxygen", "equivalent", 0.4000, "kgce/m3", f"{GB2589} (氧气)", "2008-06-01", ""),
]

MEE_2022 = "生态环境部 国家统计局 2024-12-20 公告: 2022年电力二氧化碳排放因子"
# (medium, scope, value, unit, source, valid_from, valid_to, note)
EMISSION_FACTORS = [
    ("electricity", "national", 0.5568, "kgCO2/kWh",
     "生态环境部 国家统计局 公告2024年第12号: 2021年电力二氧化碳排放因子", "2021-01-01",
     "2021-12-31", "national grid average, 2021"),
    ("electricity", "national", 0.5366, "kgCO2/kWh", MEE_2022, "2022-01-01", None,
     "national grid average, 2022"),
    ("electricity", "national_excl_market", 0.5856, "kgCO2/kWh", MEE_2022, "2022-01-01", None,
     "without market-traded non-fossil power"),
    ("electricity", "national_fossil", 0.8325, "kgCO2/kWh", MEE_2022, "2022-01-01", None,
     "fossil-fired power only"),
    ("electricity", "east_china", 0.5617, "kgCO2/kWh", MEE_2022, "2022-01-01", None,
     "华东区域电网, 2022"),
    ("electricity", "shanghai", 0.788, "kgCO2/kWh", "上海市温室气体排放核算指南 (before 沪环气〔2022〕34号)",
     "2012-01-01", "2021-12-31", "7.88 tCO2/10^4 kWh; start date not verified"),
    ("electricity", "shanghai", 0.42, "kgCO2/kWh", "沪环气〔2022〕34号", "2022-01-01", None,
     "4.2 tCO2/10^4 kWh, purchased electricity; start date not verified"),
    ("heat", "shanghai", 0.11, "kgCO2/MJ", "上海市温室气体排放核算指南 (before 沪环气〔2022〕34号)",
     "2012-01-01", "2021-12-31", "0.11 tCO2/GJ; start date not verified"),
    ("heat", "shanghai", 0.06, "kgCO2/MJ", "沪环气〔2022〕34号", "2022-01-01", None,
     "0.06 tCO2/GJ, purchased heat; start date not verified"),
    ("electricity", "national_ets", 0.5703, "kgCO2/kWh", "环办气候函〔2023〕43号", "2023-01-01",
     None, "verify: seen only in secondary sources"),
]

ENTERPRISE_ROLE = "dizhi_enterprise"
# What an enterprise key may read, and which rows: its enterprise's own.
OWN = "energy_enterprise_id()"
OWN_METER = f"meter_id IN (SELECT id FROM meter WHERE enterprise_id = {OWN})"
POLICIES = {
    "enterprise": f"id = {OWN}",
    "enterprise_building": f"enterprise_id = {OWN}",
    "enterprise_output": f"enterprise_id = {OWN}",
    "meter": f"enterprise_id = {OWN}",
    "meter_replacement": OWN_METER,
    "reading": OWN_METER,
    "energy_interval": OWN_METER,
    "energy_alarm": f"enterprise_id = {OWN}",
    "energy_rollup": f"(scope = 'enterprise' AND scope_id = {OWN}::text) OR (scope = 'meter' "
                     f"AND scope_id IN (SELECT id FROM meter WHERE enterprise_id = {OWN}))",
}
READ_ONLY = ("park", "coefficient", "emission_factor", "building")

FUNCTIONS = r"""
CREATE FUNCTION energy_enterprise_id() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('dizhi.enterprise_id', true), '')::bigint $$;

-- The sub-metering tree has no cycles: a meter may not be below itself.
CREATE FUNCTION energy_meter_no_cycle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (WITH RECURSIVE up(id) AS (
               SELECT NEW.parent_id
               UNION SELECT m.parent_id FROM meter m JOIN up ON m.id = up.id
               WHERE m.parent_id IS NOT NULL)
             SELECT 1 FROM up WHERE id = NEW.id) THEN
    RAISE EXCEPTION 'meter % may not be below itself', NEW.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER meter_no_cycle BEFORE INSERT OR UPDATE OF parent_id ON meter
  FOR EACH ROW WHEN (NEW.parent_id IS NOT NULL) EXECUTE FUNCTION energy_meter_no_cycle();

-- reading has no foreign key (its check per row dominated ingest): a meter takes its readings.
CREATE FUNCTION energy_meter_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM reading WHERE meter_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER meter_delete BEFORE DELETE ON meter
  FOR EACH ROW EXECUTE FUNCTION energy_meter_delete();

-- A corrected reading keeps the value it replaces.
CREATE FUNCTION energy_reading_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO reading_revision (meter_id, ts, old_value, new_value, old_received_at, old_source)
  VALUES (OLD.meter_id, OLD.ts, OLD.value, NEW.value, OLD.received_at, OLD.source);
  RETURN NEW;
END $$;
CREATE TRIGGER reading_revision BEFORE UPDATE ON reading
  FOR EACH ROW WHEN (OLD.value IS DISTINCT FROM NEW.value) EXECUTE FUNCTION energy_reading_revision();

-- One partition per Asia/Shanghai month, made on demand: <parent>_yYYYYmMM.
CREATE FUNCTION energy_ensure_partitions(parent text, first_ts timestamptz, last_ts timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  month date := date_trunc('month', first_ts AT TIME ZONE 'Asia/Shanghai')::date;
  made integer := 0;
  name text;
BEGIN
  IF parent NOT IN ('reading', 'energy_interval') THEN
    RAISE EXCEPTION 'not a partitioned energy table: %', parent;
  END IF;
  WHILE month <= (last_ts AT TIME ZONE 'Asia/Shanghai')::date LOOP
    name := format('%s_y%sm%s', parent, to_char(month, 'YYYY'), to_char(month, 'MM'));
    IF to_regclass(name) IS NULL THEN
      -- only a writer that makes a partition waits for the others (then looks again)
      PERFORM pg_advisory_xact_lock(hashtext('energy_ensure_partitions'));
    END IF;
    IF to_regclass(name) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', name, parent,
                     (month::timestamp AT TIME ZONE 'Asia/Shanghai'),
                     ((month + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'));
      made := made + 1;
    END IF;
    month := (month + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS energy_ensure_partitions(text, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS energy_reading_revision();
DROP FUNCTION IF EXISTS energy_meter_delete();
DROP FUNCTION IF EXISTS energy_meter_no_cycle();
DROP FUNCTION IF EXISTS energy_enterprise_id();
"""

CREATE_ROLE = f"""
DO $$ BEGIN
  CREATE ROLE {ENTERPRISE_ROLE} NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$ BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT {ENTERPRISE_ROLE} TO %I', current_user);
  END IF;
END $$;
"""


def _row_level_security() -> None:
    op.execute(CREATE_ROLE)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ENTERPRISE_ROLE}")
    for table, condition in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_own ON {table} FOR SELECT TO {ENTERPRISE_ROLE}"
                   f" USING ({condition})")
        op.execute(f"GRANT SELECT ON {table} TO {ENTERPRISE_ROLE}")
    for table in READ_ONLY:
        op.execute(f"GRANT SELECT ON {table} TO {ENTERPRISE_ROLE}")


def _dated(names: tuple[str, ...], row: tuple[object, ...]) -> dict[str, object]:
    record = dict(zip(names, row, strict=True))
    for key in ("valid_from", "valid_to"):
        if isinstance(record.get(key), str):
            record[key] = date.fromisoformat(str(record[key]))
    return record


def _seed() -> None:
    for name, columns, rows in (
        ("coefficient", ("medium", "basis", "value", "unit", "source", "valid_from", "note"),
         COEFFICIENTS),
        ("emission_factor", ("medium", "scope", "value", "unit", "source", "valid_from",
                             "valid_to", "note"), EMISSION_FACTORS),
    ):
        table = sa.table(name, *(sa.column(c) for c in columns))
        op.bulk_insert(table, [_dated(columns, row) for row in rows])


def upgrade() -> None:
    _create_tables()
    op.execute("ALTER TABLE api_key DROP CONSTRAINT ck_api_key_role")
    op.execute(f"ALTER TABLE api_key ADD CONSTRAINT ck_api_key_role CHECK (role IN {NEW_ROLES})")
    op.execute(FUNCTIONS)
    _row_level_security()
    _seed()


def downgrade() -> None:
    op.execute("UPDATE api_key SET role = 'public', revoked_at = coalesce(revoked_at, now())"
               " WHERE role IN ('energy', 'enterprise')")
    op.execute("ALTER TABLE api_key DROP CONSTRAINT ck_api_key_role")
    op.execute(f"ALTER TABLE api_key ADD CONSTRAINT ck_api_key_role CHECK (role IN {OLD_ROLES})")
    for table in POLICIES:
        op.execute(f"DROP POLICY {table}_own ON {table}")
    for table in READ_ONLY:
        op.execute(f"REVOKE SELECT ON {table} FROM {ENTERPRISE_ROLE}")
    _drop_tables()
    op.execute(DROP_FUNCTIONS)
