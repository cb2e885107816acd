"""Energy roll-ups: a meter's hours are no longer kept; day rows keep their night and shoulders

Revision ID: 0014_rollup_nights
Revises: 0013_jobs

A meter's hour is four of its clean intervals, summed when read; its kept hour rows were nine in
ten of what a day's roll-up wrote. A day row now keeps the use of the day's night (00:00–05:00)
and of the hours either side (05:00–07:00, 22:00–24:00) with their slot counts, which night
base-load creep is judged on. Existing day rows get them from their hours before a meter's
hours are dropped; a downgrade makes a meter's hours again from its intervals.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_rollup_nights"
down_revision: str | None = "0013_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("night", sa.Float()), ("night_intervals", sa.Integer()), ("shoulders", sa.Float()),
           ("shoulder_intervals", sa.Integer()))
# Asia/Shanghai's offset is whole hours, so a day row's hours are the hour rows in [ts, ts + 1 day)
FROM_HOURS = """
UPDATE energy_rollup d SET night = h.night, night_intervals = h.night_intervals,
  shoulders = h.shoulders, shoulder_intervals = h.shoulder_intervals
FROM (
  SELECT d.scope, d.scope_id, d.kind, d.ts,
    coalesce(sum(h.value) FILTER (WHERE h.ts < d.ts + interval '5 hours'), 0) AS night,
    coalesce(sum(h.intervals) FILTER (WHERE h.ts < d.ts + interval '5 hours'), 0)
      AS night_intervals,
    coalesce(sum(h.value) FILTER (WHERE h.ts >= d.ts + interval '5 hours'
      AND h.ts < d.ts + interval '7 hours' OR h.ts >= d.ts + interval '22 hours'), 0)
      AS shoulders,
    coalesce(sum(h.intervals) FILTER (WHERE h.ts >= d.ts + interval '5 hours'
      AND h.ts < d.ts + interval '7 hours' OR h.ts >= d.ts + interval '22 hours'), 0)
      AS shoulder_intervals
  FROM energy_rollup d JOIN energy_rollup h ON h.scope = d.scope AND h.scope_id = d.scope_id
    AND h.kind = d.kind AND h.grain = 'hour' AND h.ts >= d.ts AND h.ts < d.ts + interval '1 day'
  WHERE d.grain = 'day'
  GROUP BY 1, 2, 3, 4) h
WHERE d.scope = h.scope AND d.scope_id = h.scope_id AND d.kind = h.kind AND d.grain = 'day'
  AND d.ts = h.ts
"""
# each kind's units and their factor to its base unit, as layers.energy.model.UNITS had them
UNITS = """('electricity', 'kWh', 1.0), ('electricity', 'MWh', 1000.0), ('water', 't', 1.0),
  ('water', 'm3', 1.0), ('gas', 'm3', 1.0), ('steam', 'kg', 1.0), ('steam', 't', 1000.0),
  ('heat', 'MJ', 1.0), ('heat', 'GJ', 1000.0), ('heat', 'kWh', 3.6)"""
METER_HOURS = f"""
INSERT INTO energy_rollup (scope, scope_id, kind, grain, ts, value, estimated, suspect,
                           peak_15min, intervals)
SELECT 'meter', i.meter_id, m.kind, 'hour',
       date_bin('1 hour', i.ts, timestamptz '2000-01-01 00:00+08') AS hour,
       sum(i.value * u.factor),
       coalesce(sum(i.value * u.factor) FILTER (WHERE i.quality = 'estimated'), 0),
       coalesce(sum(i.value * u.factor) FILTER (WHERE i.quality = 'suspect'), 0),
       max(i.value * u.factor), count(*)
FROM energy_interval i JOIN meter m ON m.id = i.meter_id
JOIN (VALUES {UNITS}) u(kind, unit, factor) ON u.kind = m.kind AND u.unit = m.unit
WHERE EXISTS (SELECT FROM energy_rollup d WHERE d.scope = 'meter' AND d.scope_id = i.meter_id)
GROUP BY i.meter_id, m.kind, hour
"""


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column("energy_rollup", sa.Column(name, type_))
    op.execute(FROM_HOURS)
    op.execute("DELETE FROM energy_rollup WHERE scope = 'meter' AND grain = 'hour'")


def downgrade() -> None:
    op.execute(METER_HOURS)
    for name, _ in reversed(COLUMNS):
        op.drop_column("energy_rollup", name)
