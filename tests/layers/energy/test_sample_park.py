"""The sample park: a slice (a few enterprises, a month) loads, every enterprise holds a valid
统一社会信用代码 and a building, the sub-metering tree sums, and cleaning keeps the truth."""

from pathlib import Path

import numpy as np
import psycopg
import pytest
from stdnum.cn import uscc

from layers.energy import sample_park, sample_series

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample"


@pytest.fixture
def plan() -> dict:
    full = sample_park.read_plan(SAMPLE)
    assert full is not None and full["synthetic"]
    return sample_park.sliced(full, days=31, enterprises=4)


def test_plan_is_labelled_and_codes_are_valid() -> None:
    full = sample_park.read_plan(SAMPLE)
    assert full is not None
    assert 35 <= len(full["enterprises"]) <= 47
    assert 250 <= len(full["meters"]) <= 350
    assert all(uscc.is_valid(e["credit_code"]) for e in full["enterprises"])
    assert {e["kind"] for e in full["events"]} >= {"spike", "level_shift", "base_load_creep",
                                                   "stuck", "negative", "missing", "reset",
                                                   "rollover", "replacement", "gap"}


def test_slice_loads_and_keeps_daily_totals(conn: psycopg.Connection, plan: dict) -> None:
    with conn.transaction():
        counts = sample_park.load_park(conn, plan=plan, sources_dirs=[SAMPLE],
                                       district="310118")
    assert counts["enterprises"] == 4 and counts["linked_enterprises"] == 4
    assert "UCI" in counts["sources"]["uci"]
    shares = conn.execute("SELECT count(*), min(floor_share) FROM enterprise_building").fetchone()
    assert shares[0] == 4 and 0 < shares[1] <= 1
    truth = sample_series.truth(plan, sample_series.Sources.read([SAMPLE], 31 * 96), 31 * 96)
    faulted = {e["meter_id"] for e in plan["events"]
               if e["kind"] in ("missing", "negative", "stuck")}
    for m in plan["meters"]:
        if m["id"] in faulted:
            continue
        got = conn.execute(
            "SELECT value FROM energy_rollup WHERE scope = 'meter' AND scope_id = %s"
            " AND grain = 'day' ORDER BY ts", [m["id"]]).fetchall()
        want = truth[m["id"]].reshape(31, 96).sum(axis=1)
        days = np.array([g[0] for g in got])
        inner = slice(1, len(days) - 1)  # the first and last day hold a part of a step
        assert np.allclose(days[inner], want[: len(days)][inner], rtol=0.005), m["id"]


def test_loading_again_changes_nothing(conn: psycopg.Connection, plan: dict) -> None:
    small = sample_park.sliced(plan, days=3, enterprises=1)
    with conn.transaction():
        sample_park.load_park(conn, plan=small, sources_dirs=[SAMPLE], district="310118")
        again = sample_park.load_park(conn, plan=small, sources_dirs=[SAMPLE],
                                      district="310118")
    assert again == {"park": "already loaded"}
