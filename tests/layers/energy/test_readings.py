"""Readings in: idempotent, corrections kept, partitions made, bad input refused whole."""

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from address.errors import BadRequest
from layers.energy.batch import from_json
from layers.energy.readings import ingest_csv, ingest_rows
from tests.layers.energy import builders


def _csv(*lines: str) -> bytes:
    return ("meter_id,ts,value\n" + "\n".join(lines) + "\n").encode()


def test_same_reading_twice_is_one_row_and_a_correction_keeps_history(conn):
    m = builders.meter(conn)
    first = ingest_csv(conn, data=_csv(f"{m},2024-01-31T23:45:00+08:00,10",
                                       f"{m},2024-02-01T00:00:00+08:00,11.5"))
    assert (first.received, first.inserted) == (2, 2)
    again = ingest_csv(conn, data=_csv(f"{m},2024-01-31T15:45:00Z,10"))
    assert (again.inserted, again.corrected, again.unchanged) == (0, 0, 1)
    fixed = ingest_rows(conn, rows=[(m, datetime(2024, 1, 31, 16, 0, tzinfo=UTC), 12.0)])
    assert fixed.corrected == 1
    rows = conn.execute("SELECT value FROM reading WHERE meter_id = %s ORDER BY ts", [m]).fetchall()
    assert [r[0] for r in rows] == [10.0, 12.0]
    history = conn.execute("SELECT old_value, new_value FROM reading_revision WHERE meter_id = %s",
                           [m]).fetchall()
    assert history == [(11.5, 12.0)]
    days = conn.execute("SELECT day::text FROM energy_dirty_day WHERE meter_id = %s ORDER BY day",
                        [m]).fetchall()
    # 00:00 closes the 31st's last interval and opens the 1st's first
    assert [d[0] for d in days] == ["2024-01-31", "2024-02-01"]


def test_partitions_follow_shanghai_months(conn):
    m = builders.meter(conn)
    ingest_csv(conn, data=_csv(f"{m},2031-06-30T16:30:00Z,1"))  # 1 July 00:30 in Shanghai
    part = conn.execute("SELECT tableoid::regclass::text FROM reading WHERE meter_id = %s",
                        [m]).fetchone()[0]
    assert part == "reading_y2031m07"


def test_duplicates_inside_one_batch_keep_the_last(conn):
    m = builders.meter(conn)
    report = ingest_csv(conn, data=_csv(f"{m},2024-05-01T00:00:00+08:00,1",
                                        f"{m},2024-05-01T00:00:00+08:00,2"))
    assert report.received == 1
    assert conn.execute("SELECT value FROM reading WHERE meter_id = %s", [m]).fetchone()[0] == 2


@pytest.mark.parametrize("line, message", [
    ("{m},2024-05-01T00:00:00,1", "UTC offset"),
    ("{m},2024-05-01T00:00:00+08:00,abc", "bad CSV"),
    ("{m},2024-13-01T00:00:00+08:00,1", "bad time"),
    ("{m},2024-05-01T00:00:00+08:00,NaN", "finite"),
    ("nosuchmeter,2024-05-01T00:00:00+08:00,1", "unknown meters"),
])
def test_bad_input_is_refused(conn, line, message):
    m = builders.meter(conn)
    with pytest.raises(BadRequest, match=message):
        ingest_csv(conn, data=_csv(f"{m},2024-05-01T00:15:00+08:00,1", line.format(m=m)))


def test_header_must_name_the_columns(conn):
    with pytest.raises(BadRequest, match="bad CSV"):
        ingest_csv(conn, data=b"meter,time,v\nx,2024-05-01T00:00:00+08:00,1\n")


def test_unknown_meters_can_be_skipped(conn):
    m = builders.meter(conn)
    report = ingest_rows(conn, rows=[(m, "2024-05-01T00:00:00+08:00", 1.0),
                                     ("ghost", "2024-05-01T00:00:00+08:00", 1.0)],
                         skip_unknown=True)
    assert (report.inserted, report.skipped, report.unknown_meters) == (1, 1, ("ghost",))


def test_a_deleted_meter_takes_its_readings(conn):
    m = builders.meter(conn)
    ingest_csv(conn, data=_csv(f"{m},2024-05-01T00:00:00+08:00,1"))
    conn.execute("DELETE FROM meter WHERE id = %s", [m])
    assert conn.execute("SELECT count(*) FROM reading WHERE meter_id = %s", [m]).fetchone()[0] == 0


def _state(conn, m):
    rows = conn.execute("SELECT ts, value, source FROM reading WHERE meter_id = %s ORDER BY ts",
                        [m]).fetchall()
    days = conn.execute("SELECT day FROM energy_dirty_day WHERE meter_id = %s ORDER BY day",
                        [m]).fetchall()
    return rows, days


def test_the_client_path_writes_what_the_server_path_writes(conn):
    """The same readings through the typed batch (fresh meters: one COPY) and through the
    server's staging (forced by a text time): equal rows, equal dirty days."""
    fast, slow = builders.meter(conn), builders.meter(conn)
    lines = ["2024-05-31T23:45:00+08:00,1", "2024-06-01T00:00:00+08:00,2",
             "2024-06-01T00:00:00+08:00,3", "2024-06-02T07:15:00Z,4"]
    with conn.transaction():
        a = ingest_csv(conn, data=_csv(*(f"{fast},{x}" for x in lines)))
        rows = [(slow, ts, float(v)) for ts, v in (x.split(",") for x in lines)]
        b = ingest_rows(conn, rows=rows)  # text times: the server's path
    assert a == b and (a.received, a.inserted) == (3, 3)
    assert _state(conn, fast)[0] == [(ts, v, "csv") for ts, v, _ in _state(conn, slow)[0]]
    assert _state(conn, fast)[1] == _state(conn, slow)[1]


def test_a_row_written_since_the_check_sends_the_month_through_the_merge(conn, monkeypatch):
    from layers.energy import readings
    m = builders.meter(conn)
    with conn.transaction():
        ingest_csv(conn, data=_csv(f"{m},2024-05-01T00:15:00+08:00,1"))
        # as if another transaction had written it between the check and the copy
        monkeypatch.setattr(readings, "_overlapping",
                            lambda conn, *, partition, part: np.zeros(len(part), bool))
        report = ingest_csv(conn, data=_csv(f"{m},2024-05-01T00:15:00+08:00,5",
                                            f"{m},2024-05-01T00:30:00+08:00,6"))
    assert (report.inserted, report.corrected) == (1, 1)
    assert [r[1] for r in _state(conn, m)[0]] == [5.0, 6.0]


@pytest.mark.parametrize("reading", [
    {"meter_id": "M", "ts": "2024-05-01T00:15:00+08:00", "value": True},
    {"meter_id": "M", "ts": "2024-05-01T00:15:00+08:00", "value": "1"},
    {"meter_id": "", "ts": "2024-05-01T00:15:00+08:00", "value": 1},
    {"meter_id": "M" * 65, "ts": "2024-05-01T00:15:00+08:00", "value": 1},
    {"meter_id": 7, "ts": "2024-05-01T00:15:00+08:00", "value": 1},
    {"meter_id": "M", "ts": 1714493700, "value": 1},
    {"meter_id": "M", "ts": "2024-05-01T00:15:00+08:00"},
])
def test_json_the_client_cannot_vouch_for_goes_to_the_model(reading):
    good = {"meter_id": "M" * 64, "ts": "2024-05-01T00:15:00+08:00", "value": 2}
    assert from_json(json.dumps({"readings": [good]}).encode()) is not None
    assert from_json(json.dumps({"readings": [good, reading]}).encode()) is None
