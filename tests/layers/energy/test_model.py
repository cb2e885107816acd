"""Parks, enterprises, meters: the credit code's check character, the tree without cycles, the
seeded coefficients and emission factors."""

import pytest

from address.errors import BadRequest, Conflict, NotFound
from layers.energy.model import (
    MeterSpec,
    check_credit_code,
    create_enterprise,
    create_meter,
    get_meter,
    record_replacement,
    set_parent,
)
from tests.layers.energy import builders


def test_credit_code_check_character():
    assert check_credit_code("91110000600037341l") == "91110000600037341L"
    with pytest.raises(BadRequest):
        check_credit_code("91110000600037341M")  # wrong check character
    with pytest.raises(BadRequest):
        check_credit_code("9111000060003734")  # too short


def test_enterprise_needs_a_valid_unique_credit_code(conn):
    code = builders.credit_code()
    create_enterprise(conn, name="甲", credit_code=code)
    with pytest.raises(Conflict):
        create_enterprise(conn, name="乙", credit_code=code)
    with pytest.raises(BadRequest):
        wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
        create_enterprise(conn, name="丙", credit_code=wrong)


def test_meter_round_trip_and_checks(conn):
    park = builders.park(conn)
    ent = builders.enterprise(conn, park)
    parent = builders.meter(conn, park_code=park, multiplier=80.0, register_max=99999.0)
    child = builders.meter(conn, parent_id=parent, enterprise_id=ent, counted_in_parent=False)
    got = get_meter(conn, meter_id=child)
    assert got["parent_id"] == parent and got["enterprise_id"] == ent
    assert got["counted_in_parent"] is False and got["replacements"] == []
    assert get_meter(conn, meter_id=parent)["multiplier"] == 80.0
    with pytest.raises(Conflict):
        builders.meter(conn, id=child)
    with pytest.raises(BadRequest, match="reads in kWh"):
        builders.meter(conn, kind="electricity", unit="m3")
    with pytest.raises(BadRequest, match="enterprise_id"):
        builders.meter(conn, enterprise_id=-1)
    with pytest.raises(NotFound):
        get_meter(conn, meter_id="no-such-meter")


def test_the_tree_has_no_cycles(conn):
    a = builders.meter(conn)
    b = builders.meter(conn, parent_id=a)
    c = builders.meter(conn, parent_id=b)
    with pytest.raises(BadRequest, match="cycle"):
        set_parent(conn, meter_id=a, parent_id=c)
    with pytest.raises(BadRequest, match="own parent"):
        create_meter(conn, spec=MeterSpec(id=a, kind="water", unit="t", reading_type="interval",
                                          parent_id=a))
    assert get_meter(conn, meter_id=a)["parent_id"] is None


def test_replacement_history(conn):
    m = builders.meter(conn)
    record_replacement(conn, meter_id=m, replaced_at="2024-03-01T10:00:00+08:00",
                       old_final=1234.5, new_initial=0.0, old_serial="A1", new_serial="B2")
    (rep,) = get_meter(conn, meter_id=m)["replacements"]
    assert rep["old_final"] == 1234.5 and rep["new_serial"] == "B2"


def test_coefficients_and_factors_are_seeded_with_sources(conn):
    row = conn.execute("SELECT value, unit, source FROM coefficient WHERE medium = 'electricity'"
                       " AND basis = 'equivalent'").fetchone()
    assert row[0] == pytest.approx(0.1229) and row[1] == "kgce/kWh" and "2589" in row[2]
    scopes = {r[0] for r in conn.execute("SELECT scope FROM emission_factor")}
    assert {"national", "east_china", "shanghai"} <= scopes
    assert conn.execute("SELECT count(*) FROM emission_factor WHERE source = ''").fetchone()[0] == 0
