"""The recompute queue: readings in → clean intervals and roll-ups, idempotent, late data and
corrections absorbed, a gap across days kept exact; the real UCI steel-plant series."""

import csv
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from layers.energy.model import record_replacement
from layers.energy.readings import ingest_csv, ingest_rows
from layers.energy.recompute import recompute, recompute_all
from layers.energy.rollup import ZONE
from tests.layers.energy import builders

# the unmodified copy the sample park ships (CC BY 4.0), else ../shared beside the checkout
UCI_PATH = Path("energy") / "uci851_steel" / "Steel_industry_data.csv"
UCI = next((d / UCI_PATH for d in (Path(__file__).resolve().parents[3] / "data" / "sample",
                                   Path(__file__).resolve().parents[3].parent / "shared" / "data")
            if (d / UCI_PATH).exists()), Path("/nonexistent") / UCI_PATH)
START = datetime(2024, 5, 1, tzinfo=ZONE)


def _rows(meter_id, values, start=START, step=timedelta(minutes=15)):
    return [(meter_id, start + i * step, float(v)) for i, v in enumerate(values)]


def _intervals(conn, meter_id):
    return conn.execute("SELECT ts, value, quality, flag FROM energy_interval"
                        " WHERE meter_id = %s ORDER BY ts", [meter_id]).fetchall()


def _day_total(conn, scope, scope_id, day=START):
    row = conn.execute("SELECT value FROM energy_rollup WHERE scope = %s AND scope_id = %s"
                       " AND grain = 'day' AND ts = %s", [scope, scope_id, day]).fetchone()
    return row[0] if row else None


def test_queue_cleans_and_rolls_up_and_a_second_run_changes_nothing(conn):
    m = builders.meter(conn, multiplier=10.0)
    ingest_rows(conn, rows=_rows(m, range(0, 97)))  # 1 a slot for a day, then 00:00 next day
    recompute_all(conn)
    rows = _intervals(conn, m)
    assert len(rows) == 96 and {r[1] for r in rows} == {10.0}
    assert rows[0][0] == START and {r[2] for r in rows} == {"measured"}
    assert _day_total(conn, "meter", m) == pytest.approx(960.0)
    assert conn.execute("SELECT count(*) FROM energy_dirty_day WHERE meter_id = %s",
                        [m]).fetchone()[0] == 0
    assert recompute(conn).meters == 0 or _intervals(conn, m) == rows
    ingest_rows(conn, rows=_rows(m, range(0, 97)))  # the same readings again: nothing queued
    assert recompute_all(conn).meters == 0 or _intervals(conn, m) == rows


def test_late_data_fills_a_gap_across_days_exactly(conn):
    m = builders.meter(conn)
    values = list(range(0, 97 * 3))  # three days, 1 a slot
    ingest_rows(conn, rows=_rows(m, values[:40]))
    recompute_all(conn)
    ingest_rows(conn, rows=_rows(m, values)[250:])  # the gap spans the next day wholly
    recompute_all(conn)
    rows = _intervals(conn, m)
    assert len(rows) == len(values) - 1 and sum(r[1] for r in rows) == pytest.approx(values[-1])
    assert rows[100][2] == "estimated" and rows[100][3] == "gap"
    assert _day_total(conn, "meter", m, START + timedelta(days=1)) == pytest.approx(96.0)
    ingest_rows(conn, rows=_rows(m, values)[40:250])  # the late readings arrive
    recompute_all(conn)
    rows = _intervals(conn, m)
    assert {r[2] for r in rows} == {"measured"} and {r[1] for r in rows} == {1.0}


def test_a_correction_is_cleaned_again(conn):
    m = builders.meter(conn, reading_type="interval")
    ingest_rows(conn, rows=_rows(m, [2.0] * 96, start=START + timedelta(minutes=15)))
    recompute_all(conn)
    ingest_rows(conn, rows=[(m, START + timedelta(hours=1), 5.0)])
    recompute_all(conn)
    assert _day_total(conn, "meter", m) == pytest.approx(2.0 * 95 + 5.0)


def test_a_replacement_recorded_later_is_applied(conn):
    m = builders.meter(conn)
    values = [100.0 + i for i in range(49)] + [3.0 + i for i in range(48)]
    ingest_rows(conn, rows=_rows(m, values))
    recompute_all(conn)
    assert _day_total(conn, "meter", m) == pytest.approx(95.0 + 3.0)  # a reset: estimated
    record_replacement(conn, meter_id=m, replaced_at=START + timedelta(hours=12, minutes=5),
                       old_final=148.5, new_initial=2.5)
    recompute_all(conn)
    assert _day_total(conn, "meter", m) == pytest.approx(48 + 0.5 + 0.5 + 47)


def test_enterprise_and_park_count_sub_meters_once(conn):
    park = builders.park(conn)
    ent = builders.enterprise(conn, park)
    main = builders.meter(conn, enterprise_id=ent, park_code=park)
    sub = builders.meter(conn, enterprise_id=ent, park_code=park, parent_id=main)
    extra = builders.meter(conn, enterprise_id=ent, parent_id=main, counted_in_parent=False,
                           unit="MWh")
    ingest_rows(conn, rows=_rows(main, [4.0 * i for i in range(97)])
                + _rows(sub, [1.0 * i for i in range(97)])
                + _rows(extra, [0.001 * i for i in range(97)]))
    recompute_all(conn)
    assert _day_total(conn, "enterprise", str(ent)) == pytest.approx(96 * 4 + 96 * 1.0)
    assert _day_total(conn, "park", park) == pytest.approx(96 * 4 + 96 * 1.0)
    hour = conn.execute("SELECT value, peak_15min, intervals FROM energy_rollup WHERE scope ="
                        " 'enterprise' AND scope_id = %s AND grain = 'hour' AND ts = %s",
                        [str(ent), START]).fetchone()
    assert hour == pytest.approx((20.0, 5.0, 8))  # main and extra, four slots each
    month = conn.execute("SELECT value FROM energy_rollup WHERE scope = 'park' AND scope_id = %s"
                         " AND grain = 'month'", [park]).fetchall()
    assert [r[0] for r in month] == pytest.approx([480.0])


@pytest.mark.skipif(not UCI.exists(), reason="needs the UCI steel plant file")
def test_real_uci_steel_plant_interval_sums_equal_the_file(conn):
    m = builders.meter(conn, reading_type="interval")
    lines, total = ["meter_id,ts,value"], 0.0
    with UCI.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            ts = datetime.strptime(row["date"], "%d/%m/%Y %H:%M")
            lines.append(f"{m},{ts.isoformat()}+09:00,{row['Usage_kWh']}")
            total += float(row["Usage_kWh"])
    ingest_csv(conn, data=("\n".join(lines) + "\n").encode())
    recompute_all(conn, max_days=400)
    n, clean = conn.execute("SELECT count(*), sum(value) FROM energy_interval WHERE meter_id = %s",
                            [m]).fetchone()
    assert n == len(lines) - 1 == 35_040
    assert clean == pytest.approx(total, rel=1e-9)
    days = conn.execute("SELECT sum(value) FROM energy_rollup WHERE scope = 'meter' AND"
                        " scope_id = %s AND grain = 'day'", [m]).fetchone()[0]
    months = conn.execute("SELECT sum(value) FROM energy_rollup WHERE scope = 'meter' AND"
                          " scope_id = %s AND grain = 'month'", [m]).fetchone()[0]
    assert days == pytest.approx(total, rel=1e-9) and months == pytest.approx(total, rel=1e-9)


def test_a_day_for_one_meter_rolls_up_with_the_meters_beside_it(conn):
    """An incremental roll-up sums every meter an affected scope counts, touched or not, and
    leaves an untouched meter's own rows alone; hours, days and months agree."""
    park = builders.park(conn)
    ent = builders.enterprise(conn, park)
    a = builders.meter(conn, enterprise_id=ent, park_code=park)
    b = builders.meter(conn, enterprise_id=ent, park_code=park)
    day2 = START + timedelta(days=1)
    with conn.transaction():
        ingest_rows(conn, rows=_rows(a, [1.0 * i for i in range(97)])
                    + _rows(b, [2.0 * i for i in range(193)]))
        recompute_all(conn)
    own_rows = ("SELECT grain, ts, xmin::text FROM energy_rollup WHERE scope = 'meter'"
                " AND scope_id = %s ORDER BY grain, ts")
    before = conn.execute(own_rows, [b]).fetchall()
    with conn.transaction():
        ingest_rows(conn, rows=_rows(a, [96.0 + 3.0 * i for i in range(1, 97)],
                                     start=day2 + timedelta(minutes=15)))
        recompute_all(conn)
    assert _day_total(conn, "meter", a, day2) == pytest.approx(96 * 3.0)
    assert _day_total(conn, "enterprise", str(ent), day2) == pytest.approx(96 * 3.0 + 96 * 2.0)
    assert _day_total(conn, "park", park, START) == pytest.approx(96 * 1.0 + 96 * 2.0)
    rows = conn.execute(
        "SELECT grain, sum(value), max(peak_15min), sum(intervals) FROM energy_rollup"
        " WHERE scope = 'enterprise' AND scope_id = %s GROUP BY grain ORDER BY grain",
        [str(ent)]).fetchall()
    total = 96 * 1.0 + 96 * 2.0 + 96 * 3.0 + 96 * 2.0
    assert rows == [("day", pytest.approx(total), pytest.approx(5.0), 384),
                    ("hour", pytest.approx(total), pytest.approx(5.0), 384),
                    ("month", pytest.approx(total), pytest.approx(5.0), 384)]
    assert conn.execute(own_rows, [b]).fetchall() == before  # b's own rows not rewritten
