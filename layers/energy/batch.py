"""Readings as typed columns on the client: parsed (pyarrow's CSV reader, a JSON body, or
rows), checked, the last of each (meter, ts) kept, sorted as the primary key, and packed as
PostgreSQL binary COPY — so a batch that only adds readings is written with one COPY per
month's partition and no per-row work on the server besides the insert itself.

Anything unusual (a header other than ``meter_id,ts,value``, an empty field, a value that is not
finite, a time pyarrow cannot read or one before 1992, when China last had summer time) gives
``None``: the caller then takes the server's path, which reads what PostgreSQL reads and words
the error exactly.
"""

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from layers.energy.binary import pack_body

HEADER = b"meter_id,ts,value"
US_PER_DAY = 86_400_000_000
SHANGHAI_US = 8 * 3_600_000_000  # UTC+8 all year since 1992 (no summer time after 1991)
EARLIEST_US = int(datetime(1992, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 00:00 UTC, the binary timestamptz origin
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
TYPES = {"meter_id": pa.string(), "ts": pa.timestamp("us", tz="UTC"), "value": pa.float64()}


@dataclass(frozen=True)
class Batch:
    """Readings sorted by (meter, ts), one per (meter, ts): ``meter`` indexes ``meters``."""

    meters: list[str]
    meter: npt.NDArray[np.int32]
    ts: npt.NDArray[np.int64]  # microseconds since 1970-01-01 UTC
    value: npt.NDArray[np.float64]

    def take(self, rows: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> "Batch":
        return Batch(self.meters, self.meter[rows], self.ts[rows], self.value[rows])

    def __len__(self) -> int:
        return len(self.ts)

    def spans(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64],
                             npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Per meter present: its index, its first and last ts, its number of readings."""
        starts = np.flatnonzero(np.r_[True, self.meter[1:] != self.meter[:-1]])
        ends = np.r_[starts[1:], len(self.meter)] - 1
        return self.meter[starts], self.ts[starts], self.ts[ends], ends - starts + 1

    def dirty_days(self) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
        """(meter, local day number since 1970) pairs the readings touch: the day of ts − 1 µs
        (a reading ends the interval before it) and the day of ts (a midnight reading also
        opens the next day), as the server's merge marks them."""
        local = self.ts + SHANGHAI_US
        days = np.concatenate([(local - 1) // US_PER_DAY, local // US_PER_DAY])
        first, width = int(days.min()), int(days.max() - days.min()) + 1
        keys = np.unique(np.tile(self.meter.astype(np.int64), 2) * width + (days - first))
        return (keys // width).astype(np.int32), keys % width + first

    def runs(self, source: str | None) -> list[tuple[npt.NDArray[np.generic], ...]]:
        """The rows as binary COPY runs of (meter_id, ts, value[, source]) columns, one run
        per byte length of meter id (a text field of fixed width)."""
        encoded = [m.encode() for m in self.meters]
        lengths = np.array([len(e) for e in encoded], np.int32)[self.meter]
        runs = []
        for length in np.unique(lengths):
            rows = np.flatnonzero(lengths == length)
            ids = np.array(encoded, dtype=f"S{int(length)}")[self.meter[rows]]
            run: tuple[npt.NDArray[np.generic], ...] = (
                ids, self.ts[rows] - PG_EPOCH_US, self.value[rows])
            if source is not None:
                run += (np.full(len(rows), source.encode(), f"S{len(source.encode())}"),)
            runs.append(run)
        return runs

    def copy_body(self, source: str) -> bytes:
        """The binary COPY body of (meter_id, ts, value, source) rows."""
        return pack_body(self.runs(source))


def from_csv(data: bytes, *, header: bool) -> Batch | None:
    """``data`` (``meter_id,ts,value`` lines) as a batch, or None for the server's path."""
    if header:
        first, _, data = data.partition(b"\n")
        if first.rstrip(b"\r") != HEADER:
            return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=list(TYPES)),
            convert_options=pacsv.ConvertOptions(column_types=TYPES, null_values=[""],
                                                 strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if table.num_rows == 0 or any(table[c].null_count for c in TYPES):
        return None
    return _batch(table["meter_id"], table["ts"], table["value"].to_numpy())


def from_rows(rows: list[tuple[str, datetime | str, float]]) -> Batch | None:
    """Rows with aware datetimes and finite numbers as a batch; None otherwise."""
    if not rows:
        return None
    ids, stamps, values = zip(*rows, strict=True)
    if not (all(isinstance(t, datetime) and t.tzinfo is not None for t in stamps)
            and all(isinstance(v, int | float) for v in values)):
        return None
    # exact integer microseconds; pyarrow's own conversion of datetimes imports pandas
    micros = np.array([(t - EPOCH) // MICROSECOND for t in stamps], np.int64)
    return _batch(pa.array(ids, pa.string()), pa.array(micros, TYPES["ts"]),
                  np.array(values, np.float64))


def from_json(body: bytes) -> Batch | None:
    """A ``{"readings": [{"meter_id", "ts", "value"}]}`` body whose ids are 1–64 characters,
    times ISO 8601 text with an offset and values finite numbers, as a batch; None otherwise
    (the caller's model then reads it and says what is wrong)."""
    try:
        readings = json.loads(body)["readings"]
        ids, stamps = list(map(_METER_ID, readings)), list(map(_TS, readings))
        values = list(map(_VALUE, readings))
    except (ValueError, TypeError, KeyError, IndexError):
        return None
    return from_columns(ids, stamps, values)


def from_columns(ids: list[Any], stamps: list[Any], values: list[Any]) -> Batch | None:
    """Meter ids (1–64 characters), times (ISO 8601 text with an offset) and finite numbers as
    a batch, checked a column at a time (a set of types, pyarrow's lengths); None if any
    breaks the rules."""
    if not ids or not (set(map(type, ids)) == set(map(type, stamps)) == {str}
                       and set(map(type, values)) <= {float, int}):
        return None
    try:
        meter_ids = pa.array(ids, pa.string())
        lengths = pc.min_max(pc.utf8_length(meter_ids)).as_py()
        if lengths["min"] < 1 or lengths["max"] > 64:
            return None
        ts = pa.array(stamps, pa.string()).cast(TYPES["ts"])
        return _batch(meter_ids, ts, np.array(values, np.float64))
    except (pa.ArrowInvalid, OverflowError):
        return None


def warm_up() -> None:
    """pyarrow imports pandas the first time it converts a Python list (0.3–1 s of CPU, ~45 MB):
    a long-running reader does it when it starts rather than in its first batch."""
    from_columns(["m"], ["2024-01-01T00:00:00+08:00"], [0.0])


_METER_ID, _TS, _VALUE = itemgetter("meter_id"), itemgetter("ts"), itemgetter("value")


def _batch(ids: pa.Array | pa.ChunkedArray, stamps: pa.Array | pa.ChunkedArray,
           values: npt.NDArray[np.float64]) -> Batch | None:
    ts = pc.cast(stamps, pa.int64()).to_numpy()
    if not np.isfinite(values).all() or ts.min() < EARLIEST_US:
        return None
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    encoded = pc.dictionary_encode(ids)
    names = encoded.dictionary.to_pylist()
    if "" in names:
        return None
    rank = np.empty(len(names), np.int32)
    rank[np.argsort(np.array(names, dtype=object), kind="stable")] = np.arange(len(names))
    meter = rank[encoded.indices.to_numpy()]
    order = np.lexsort((ts, meter))  # stable: equal keys stay in the order sent
    meter, ts = meter[order], ts[order]
    last = np.r_[(meter[1:] != meter[:-1]) | (ts[1:] != ts[:-1]), True]
    return Batch(sorted(names), meter[last], ts[last], values[order][last])
