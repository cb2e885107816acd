"""What the sample park's meters report: their true consumption as readings, with the plan's
data faults laid on (pure: arrays in, arrays out).

A cumulative meter reports its register (consumption ÷ multiplier from a seeded start, modulo
its register maximum) at every slot end and once at the first slot's start; an interval meter
reports each slot's consumption at the slot's end. Faults:
- ``reset``: the register restarts from zero one slot before a reading;
- ``replacement``: a new register from ``new_initial`` at the event (the swap is recorded);
- ``rollover``: the start value is chosen so the register passes its maximum at the event;
- ``gap`` / ``missing``: no readings inside the event;
- ``glitch``: one register reading 1000 units off;
- ``negative``: the interval values are reported below zero;
- ``stuck``: an interval meter repeats the value of the event's first slot.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from layers.energy.sample_series import SLOT, slot_index

Floats = npt.NDArray[np.float64]


@dataclass
class Reported:
    """A meter's readings (reading times as slot-end indexes: 0 is the first slot's start) and
    the replacements to record."""

    at: npt.NDArray[np.int64]
    value: Floats
    replacements: list[tuple[datetime, float, float]] = field(default_factory=list)

    def times(self, start: datetime) -> list[datetime]:
        return [start + timedelta(seconds=SLOT * int(i)) for i in self.at]

    def between(self, start: datetime, first: int, last: int) -> "Reported":
        """The readings (and replacements) after slot end ``first``, up to ``last``."""
        keep = (self.at > first) & (self.at <= last)
        swaps = [r for r in self.replacements
                 if first < slot_index(start, r[0]) <= last]
        return Reported(self.at[keep], self.value[keep], swaps)


def _bounds(event: dict[str, Any], start: datetime) -> tuple[int, int]:
    return (slot_index(start, datetime.fromisoformat(event["start"])),
            slot_index(start, datetime.fromisoformat(event["end"])))


def cumulative(meter: dict[str, Any], values: Floats, events: list[dict[str, Any]],
               start: datetime) -> Reported:
    multiplier = float(meter["multiplier"])
    register_max = meter["register_max"]
    total = np.concatenate([[0.0], np.cumsum(values)]) / multiplier
    reg = total + _start_value(meter, total, events, start)
    keep = np.ones(len(reg), bool)
    replacements = []
    for e in events:
        a, b = _bounds(e, start)
        if not 0 < a < len(reg) - 1:
            continue
        if e["kind"] == "reset":
            reg[a:] -= reg[a - 1]
        elif e["kind"] == "replacement":
            new = float(e["params"]["new_initial"])
            at = start + timedelta(seconds=SLOT * a)
            replacements.append((at, float(_wrap(reg[a], register_max)), new))
            reg[a:] += new - reg[a]
        elif e["kind"] in ("gap", "missing"):
            keep[a + 1:b] = False
        elif e["kind"] == "glitch":
            reg[a] += 1000.0 if _wrap(reg[a], register_max) + 1000 < (register_max or 1e18) \
                else -1000.0
    reported = _wrap(reg, register_max)
    index = np.arange(len(reg), dtype=np.int64)
    return Reported(index[keep], reported[keep], replacements)


def _wrap(x: Any, register_max: float | None) -> Any:
    return np.mod(x, register_max) if register_max else x


def _start_value(meter: dict[str, Any], total: Floats, events: list[dict[str, Any]],
                 start: datetime) -> float:
    """A roll-over event's meter starts so that its register passes the maximum there."""
    for e in events:
        if e["kind"] == "rollover" and meter["register_max"]:
            a, _ = _bounds(e, start)
            if 0 < a < len(total):
                return float(meter["register_max"]) - float(total[a]) - 1e-6
    return 1000.0 + len(meter["id"]) * 37.0  # some register value, not zero


def interval(values: Floats, events: list[dict[str, Any]], start: datetime) -> Reported:
    reported = values.copy()
    keep = np.ones(len(values), bool)
    for e in events:
        a, b = _bounds(e, start)
        if not 0 <= a < len(values):
            continue
        if e["kind"] == "missing":
            keep[a:b] = False
        elif e["kind"] == "negative":
            reported[a:b] = -np.maximum(values[a:b], 1.0)
        elif e["kind"] == "stuck":
            reported[a:b] = values[a]
    index = np.arange(1, len(values) + 1, dtype=np.int64)  # a slot's reading at its end
    return Reported(index[keep], reported[keep])


def report(meter: dict[str, Any], values: Floats, events: list[dict[str, Any]],
           start: datetime) -> Reported:
    mine = [e for e in events if e["meter_id"] == meter["id"]]
    if meter["reading_type"] == "cumulative":
        return cumulative(meter, values, mine, start)
    return interval(values, mine, start)
