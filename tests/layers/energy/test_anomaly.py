"""Anomaly detectors on a seeded series with injected, known anomalies; alarm states."""

from datetime import datetime

import numpy as np
import pytest

from address.errors import BadRequest
from layers.energy.alarms import list_alarms, scan, set_state
from layers.energy.anomaly import SLOT, detect
from layers.energy.readings import ingest_rows
from layers.energy.recompute import recompute_all
from layers.energy.rollup import ZONE
from tests.layers.energy import builders

T0 = int(datetime(2024, 3, 4, tzinfo=ZONE).timestamp())  # a Monday


def _load(days: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = T0 + np.arange(days * 96, dtype=np.int64) * SLOT
    hour = ((ts + 8 * 3600) % 86400) / 3600
    weekend = (((ts + 8 * 3600) // 86400 + 3) % 7) >= 5
    level = np.where((hour >= 8) & (hour < 18), 40.0, 8.0) * np.where(weekend, 0.5, 1.0)
    return ts, level * rng.normal(1.0, 0.05, len(ts))


def _split(ts, v, days=28):
    cut = days * 96
    return (ts[cut:], v[cut:]), (ts[:cut], v[:cut])


@pytest.mark.parametrize("seed", range(5))
def test_each_injected_anomaly_is_found_and_nothing_else(seed):
    ts, v = _load(42, seed)
    (now_t, now_v), history = _split(ts, v)
    now_v = now_v.copy()
    now_v[100] *= 12  # a spike at night, above anything the meter draws
    now_v[300:492] *= 1.8  # a level shift of two days
    now_v[600:630] = now_v[600]  # stuck for 7.5 hours
    events = detect(now_t, now_v, [None] * len(now_t), history)
    kinds = sorted((e.kind, int((e.start - now_t[0]) // SLOT)) for e in events)
    assert ("spike", 100) in kinds
    assert any(k == "level_shift" and 295 <= s <= 305 for k, s in kinds)
    assert ("flat_line", 600) in kinds
    assert len(kinds) == 3, kinds


def _hours(ts, lo, hi):
    hour = ((ts + 8 * 3600) % 86400) / 3600
    return (hour >= lo) & (hour < hi)


def test_base_load_creep_and_flags():
    ts, v = _load(42, 7)
    (now_t, now_v), history = _split(ts, v)
    crept = np.where(_hours(now_t, 0, 5), now_v * 1.6, now_v)
    flags = [None] * len(now_t)
    flags[50], flags[51], flags[400] = "gap", "gap", "negative"
    events = detect(now_t, crept, flags, history)
    assert {e.kind for e in events} >= {"base_load_creep", "missing", "impossible"}
    missing = next(e for e in events if e.kind == "missing")
    assert missing.detail["slots"] == 2


def test_a_creep_that_ramps_up_in_the_span_is_judged_on_its_last_two_weeks():
    ts, v = _load(70, 8)
    (now_t, now_v), history = _split(ts, v)
    day = (now_t - now_t[0]) // 86400
    ramp = np.clip((day - 7) / 21, 0, 1)  # from the 8th night, 21 nights to its full 0.6
    crept = now_v + np.where(_hours(now_t, 0, 5), 0.6 * 8.0 * ramp, 0.0)
    (creep,) = [e for e in detect(now_t, crept, [None] * len(now_t), history)
                if e.kind == "base_load_creep"]
    assert creep.start == now_t[0] + 28 * 86400 and creep.end == now_t[-1] + SLOT
    assert creep.detail["nights"] == 14
    assert creep.detail["night_over_shoulders"] > 1.5
    assert abs(creep.detail["usual_night_over_shoulders"] - 1.0) < 0.05


def test_a_night_that_rises_with_its_shoulders_is_not_creep():
    # a plant's longer evening shift: the night and the hours around it up, the day as before
    ts, v = _load(42, 9)
    (now_t, now_v), history = _split(ts, v)
    busier = np.where(_hours(now_t, 0, 8) | _hours(now_t, 18, 24), now_v * 1.8, now_v)
    assert "base_load_creep" not in {e.kind for e in detect(now_t, busier,
                                                            [None] * len(now_t), history)}


def test_a_creep_needs_a_week_of_whole_nights():
    ts, v = _load(35, 10)
    (now_t, now_v), history = _split(ts, v)
    crept = np.where(_hours(now_t, 0, 5), now_v * 2.0, now_v)

    def creeps(days):
        n = days * 96
        return "base_load_creep" in {e.kind for e in detect(now_t[:n], crept[:n], [None] * n,
                                                            history)}

    assert not creeps(6) and creeps(7)


def test_alarms_keep_their_state_when_scanned_again(conn):
    m = builders.meter(conn, reading_type="interval")
    ts, v = _load(35, 3)
    v[30 * 96 + 40] *= 10
    ingest_rows(conn, rows=[(m, datetime.fromtimestamp(t + SLOT, ZONE), float(x))
                            for t, x in zip(ts, v, strict=True)])
    recompute_all(conn, max_days=400, detect=False)
    start = datetime.fromtimestamp(ts[28 * 96], ZONE)
    end = datetime.fromtimestamp(ts[-1] + SLOT, ZONE)
    found = scan(conn, meter_id=m, start=start, end=end)
    assert [e.kind for e in found] == ["spike"]
    (alarm,) = list_alarms(conn, meter_id=m)
    assert alarm["state"] == "open" and alarm["kind"] == "spike"
    assert set_state(conn, alarm_id=alarm["id"], state="acknowledged")["state"] == "acknowledged"
    scan(conn, meter_id=m, start=start, end=end)
    (again,) = list_alarms(conn, meter_id=m)
    assert again["state"] == "acknowledged"
    set_state(conn, alarm_id=alarm["id"], state="closed")
    with pytest.raises(BadRequest):
        set_state(conn, alarm_id=alarm["id"], state="acknowledged")


def test_the_recompute_scans_what_it_cleaned_against_a_kept_baseline(conn):
    m = builders.meter(conn, reading_type="interval")
    ts, v = _load(36, 4)
    v[35 * 96 + 40] *= 10
    rows = [(m, datetime.fromtimestamp(t + SLOT, ZONE), float(x))
            for t, x in zip(ts, v, strict=True)]
    ingest_rows(conn, rows=rows[:35 * 96])
    recompute_all(conn, max_days=400)
    assert list_alarms(conn, meter_id=m) == []
    ingest_rows(conn, rows=rows[35 * 96:])
    assert recompute_all(conn).alarms == 1
    assert [a["kind"] for a in list_alarms(conn, meter_id=m)] == ["spike"]
    through, slots = conn.execute("SELECT through, slots FROM energy_baseline"
                                  " WHERE meter_id = %s", [m]).fetchone()
    # the new day's span starts at its midnight: the reading there closed the day before
    assert slots == 28 * 96 and through.timestamp() == ts[35 * 96]
    ingest_rows(conn, rows=[(m, rows[-1][1], rows[-1][2] + 1.0)])  # a correction: kept one used
    assert recompute_all(conn).alarms == 1
    assert conn.execute("SELECT through FROM energy_baseline WHERE meter_id = %s",
                        [m]).fetchone()[0] == through


def test_the_recompute_finds_a_creep_against_the_baseline_it_made(conn):
    m = builders.meter(conn, reading_type="interval")
    ts, v = _load(42, 11)
    v = np.where(_hours(ts, 0, 5) & (ts >= ts[28 * 96]), v + 8.0 * 0.7, v)
    rows = [(m, datetime.fromtimestamp(t + SLOT, ZONE), float(x))
            for t, x in zip(ts, v, strict=True)]
    ingest_rows(conn, rows=rows[:28 * 96])
    recompute_all(conn, max_days=400)
    ingest_rows(conn, rows=rows[28 * 96:])
    recompute_all(conn, max_days=400)
    (alarm,) = list_alarms(conn, meter_id=m)
    assert alarm["kind"] == "base_load_creep"
    assert alarm["detail"]["night_over_shoulders"] > 1.35 * alarm["detail"][
        "usual_night_over_shoulders"]


def test_a_one_day_span_is_judged_for_creep_with_the_nights_before_it():
    ts, v = _load(43, 12)
    (now_t, now_v), history = _split(ts, v, days=42)  # the span: the last day
    night = _hours(now_t, 0, 5)
    crept = np.where(night, now_v + 8.0 * 0.7, now_v)
    first = int(now_t[0])
    before = (first - 86400 * np.arange(13, 0, -1, dtype=np.int64), np.full(13, 1.7))
    (creep,) = [e for e in detect(now_t, crept, [None] * 96, history, nights_before=before)
                if e.kind == "base_load_creep"]
    assert creep.start == first - 13 * 86400 and creep.end == first + 86400
    assert creep.detail["nights"] == 14
    assert creep.detail["night_median"] == pytest.approx(np.median(crept[night]))
    few = (before[0][-5:], before[1][-5:])  # six nights in all: not yet a week
    assert "base_load_creep" not in {e.kind for e in detect(now_t, crept, [None] * 96, history,
                                                            nights_before=few)}
    usual = (before[0], np.full(13, 1.0))  # one night of it: the two weeks' median is usual
    assert "base_load_creep" not in {e.kind for e in detect(now_t, crept, [None] * 96, history,
                                                            nights_before=usual)}


def _creeps(conn, meter_id):
    return [(a["start"], a["end"]) for a in list_alarms(conn, meter_id=meter_id)
            if a["kind"] == "base_load_creep"]


def test_a_meter_fed_day_by_day_gets_one_creep_alarm_that_grows(conn):
    crept, plain = (builders.meter(conn, reading_type="interval") for _ in range(2))
    ts, v = _load(45, 13)
    load = np.where(_hours(ts, 0, 5) & (ts >= ts[28 * 96]), 8.0 * 0.7, 0.0)
    series = {crept: v + load, plain: v}

    def rows(meter_id, a, b):
        return [(meter_id, datetime.fromtimestamp(t + SLOT, ZONE), float(x))
                for t, x in zip(ts[a:b], series[meter_id][a:b], strict=True)]

    ingest_rows(conn, rows=rows(crept, 0, 28 * 96) + rows(plain, 0, 28 * 96))
    recompute_all(conn, max_days=400)
    seen = []
    for day in range(28, 45):
        ingest_rows(conn, rows=rows(crept, day * 96, (day + 1) * 96)
                    + rows(plain, day * 96, (day + 1) * 96))
        recompute_all(conn)
        alarms = _creeps(conn, crept)
        assert len(alarms) <= 1, (day, alarms)
        seen += alarms
    assert _creeps(conn, plain) == [] and list_alarms(conn, meter_id=plain) == []
    (start, end), = _creeps(conn, crept)
    assert {s for s, _ in seen} == {start}  # one alarm all along, its start kept
    first_end = min(e for _, e in seen)
    assert (end - first_end).days >= 3  # judged again on later days: the same alarm grew
    # it starts at the first of the two weeks of nights it was first judged on
    assert ts[28 * 96] - 14 * 86400 < start.timestamp() <= ts[28 * 96]
