"""Cleaning on hand-made series: every case the issue names, exact sums, quality codes."""

import numpy as np
import pytest

from layers.energy.clean import SLOT, Replacement, clean_cumulative, clean_interval, period_of

T = np.arange(0, SLOT * 97, SLOT, dtype=float)  # one day of quarter-hour readings


def _register(steps: np.ndarray, start: float = 1000.0) -> np.ndarray:
    return start + np.concatenate([[0.0], np.cumsum(steps)])


STEPS = 10.0 + 5.0 * np.sin(np.arange(96) / 8.0)  # a plausible load, 5–15 a slot


def test_steady_register_is_measured_and_exact():
    slots = clean_cumulative(T, _register(STEPS), multiplier=2.0)
    assert len(slots) == 96
    np.testing.assert_allclose(slots.value, 2.0 * STEPS)
    assert set(slots.quality) == {"measured"} and set(slots.flag) == {None}


def test_a_gap_keeps_the_consumption_exact_spread_and_estimated():
    keep = np.ones(97, bool)
    keep[10:30] = False  # five hours missing
    slots = clean_cumulative(T[keep], _register(STEPS)[keep])
    assert len(slots) == 96
    assert slots.value.sum() == pytest.approx(STEPS.sum())
    assert slots.value[9:30] == pytest.approx([STEPS[9:30].sum() / 21] * 21)
    assert set(slots.quality[9:30]) == {"estimated"} and set(slots.flag[9:30]) == {"gap"}
    assert slots.quality[8] == slots.quality[30] == "measured"


def test_roll_over_at_the_register_maximum():
    values = _register(STEPS, start=99_500.0) % 100_000.0
    slots = clean_cumulative(T, values, register_max=100_000.0)
    np.testing.assert_allclose(slots.value, STEPS)
    assert slots.flag.count("rollover") == 1 and slots.quality[slots.flag.index(
        "rollover")] == "measured"


def test_a_reset_is_never_negative():
    values = _register(STEPS)
    values[50:] -= values[50] - 3.0  # the register restarts near zero
    slots = clean_cumulative(T, values)
    assert (slots.value >= 0).all()
    assert slots.flag[49] == "reset" and slots.quality[49] == "estimated"
    assert slots.value[49] == pytest.approx(3.0)
    np.testing.assert_allclose(np.delete(slots.value, 49), np.delete(STEPS, 49))


def test_a_reset_on_a_rolling_register_is_not_taken_for_a_roll_over():
    values = _register(STEPS, start=50_000.0)
    values[50:] -= values[50]
    slots = clean_cumulative(T, values, register_max=100_000.0)
    assert slots.flag[49] == "reset" and slots.value.max() < 16


def test_a_meter_replacement_joins_old_and_new_registers():
    values = _register(STEPS)
    final = values[40] + 4.0  # the old register read this when it came off in slot 39
    values[40:] = 7.0 + (values[40:] - values[40]) + (STEPS[39] - 4.0)
    swap = Replacement(at=int(T[40]) - 60, old_final=final - STEPS[39], new_initial=7.0)
    slots = clean_cumulative(T, values, replacements=[swap])
    assert slots.value.sum() == pytest.approx(STEPS.sum())
    assert slots.flag[39] == "replaced" and slots.quality[39] == "measured"


def test_a_single_bad_reading_is_dropped_as_a_spike():
    values = _register(STEPS)
    values[60] += 1e6
    slots = clean_cumulative(T, values)
    np.testing.assert_allclose(slots.value.sum(), STEPS.sum())
    assert slots.flag[59] == slots.flag[60] == "spike" and slots.value.max() < 16


def test_a_huge_jump_is_not_passed_on():
    values = _register(STEPS)
    values[60:] += 1e6  # the register jumped and stayed
    slots = clean_cumulative(T, values)
    assert slots.value.max() < 16
    assert slots.flag[59] == "jump" and slots.quality[59] == "suspect"


def test_readings_off_the_quarter_hours_are_spread_exactly():
    t = np.arange(7 * 60, SLOT * 8, 600, dtype=float)  # every 10 min from 00:07
    slots = clean_cumulative(t, 5.0 * np.arange(len(t)))
    assert slots.start[0] == SLOT and slots.value == pytest.approx([7.5] * len(slots))


def test_interval_meter_gap_is_flagged_not_invented():
    t, v = T[1:], STEPS.copy()
    keep = np.ones(96, bool)
    keep[20:24] = False
    slots = clean_interval(t[keep], v[keep], multiplier=3.0)
    assert len(slots) == 96
    assert slots.value[20:24] == pytest.approx([0] * 4)
    assert set(slots.flag[20:24]) == {"gap"} and set(slots.quality[20:24]) == {"suspect"}
    assert slots.value.sum() == pytest.approx(3.0 * v[keep].sum())


def test_interval_negative_and_spike():
    v = STEPS.copy()
    v[5], v[70] = -4.0, 900.0
    slots = clean_interval(T[1:], v)
    assert slots.value[5] == 0 and slots.flag[5] == "negative" and slots.quality[5] == "suspect"
    assert slots.value[70] == 900.0 and slots.flag[70] == "spike"
    assert (slots.value >= 0).all()


def test_hourly_interval_readings_are_spread_and_estimated():
    t = np.arange(1, 25) * 3600.0
    assert period_of(t) == 3600
    slots = clean_interval(t, np.full(24, 8.0))
    assert len(slots) == 96 and slots.value == pytest.approx([2.0] * 96)
    assert set(slots.quality) == {"estimated"}
