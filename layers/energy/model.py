"""Parks, enterprises and meters: validation and the rows that describe them.

A meter's ``id`` is the caller's meter number. A meter's unit must be one its kind is read in;
the factor to the kind's base unit (the unit the GB/T 2589 coefficients and emission factors are
given in) is part of the unit, not of the meter.
"""

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.rows import dict_row
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from address.errors import BadRequest, Conflict, NotFound
from address.transactions import require_transaction

# kind → {unit: factor to the kind's base unit}; the base unit comes first.
UNITS: dict[str, dict[str, float]] = {
    "electricity": {"kWh": 1.0, "MWh": 1000.0},
    "water": {"t": 1.0, "m3": 1.0},
    "gas": {"m3": 1.0},
    "steam": {"kg": 1.0, "t": 1000.0},
    "heat": {"MJ": 1.0, "GJ": 1000.0, "kWh": 3.6},
}
# kind → the coefficient / emission-factor medium its base unit is counted as
MEDIUM = {"electricity": "electricity", "water": "fresh_water", "gas": "natural_gas",
          "steam": "steam_low_pressure", "heat": "heat"}
READING_TYPES = ("cumulative", "interval")


def check_credit_code(code: str) -> str:
    """The 统一社会信用代码, upper-cased; 400 unless its GB 32100 check character is right."""
    try:
        return str(uscc.validate(code))
    except ValidationError as exc:
        raise BadRequest(f"统一社会信用代码 {code!r} is not valid (GB 32100): {exc}") from None


@dataclass(frozen=True)
class MeterSpec:
    id: str
    kind: str
    unit: str
    reading_type: str
    name: str = ""
    multiplier: float = 1.0
    register_max: float | None = None
    parent_id: str | None = None
    counted_in_parent: bool = True
    park_code: str | None = None
    enterprise_id: int | None = None
    building_id: int | None = None
    synthetic: bool = False

    def check(self) -> None:
        if self.kind not in UNITS:
            raise BadRequest(f"unknown meter kind {self.kind!r}: use one of {', '.join(UNITS)}")
        if self.unit not in UNITS[self.kind]:
            units = ", ".join(UNITS[self.kind])
            raise BadRequest(f"a {self.kind} meter reads in {units}, not {self.unit!r}")
        if self.reading_type not in READING_TYPES:
            raise BadRequest(f"reading_type is cumulative or interval, not {self.reading_type!r}")
        if self.multiplier <= 0 or (self.register_max is not None and self.register_max <= 0):
            raise BadRequest("multiplier and register_max must be positive")
        if self.parent_id == self.id:
            raise BadRequest(f"meter {self.id} cannot be its own parent")


METER_COLUMNS = tuple(MeterSpec.__dataclass_fields__)


def create_park(conn: Connection, *, code: str, name: str, geom_wkt: str | None = None,
                synthetic: bool = False) -> None:
    require_transaction(conn, "create_park")
    conn.execute(
        "INSERT INTO park (code, name, geom, synthetic) VALUES"
        " (%s, %s, ST_Multi(ST_GeomFromText(%s, 4326)), %s)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom",
        [code, name, geom_wkt, synthetic])


def create_enterprise(conn: Connection, *, name: str, credit_code: str,
                      park_code: str | None = None, address_code: str | None = None,
                      address_text: str | None = None, staff_band: str | None = None,
                      synthetic: bool = False) -> int:
    require_transaction(conn, "create_enterprise")
    code = check_credit_code(credit_code)
    try:
        with conn.transaction():
            row = conn.execute(
                "INSERT INTO enterprise (name, credit_code, park_code, address_code, address_text,"
                " staff_band, synthetic) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                [name, code, park_code, address_code, address_text, staff_band, synthetic],
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"an enterprise with 统一社会信用代码 {code} exists") from None
    except psycopg.errors.ForeignKeyViolation:
        raise BadRequest(f"no park {park_code!r}") from None
    assert row is not None
    return int(row[0])


def link_building(conn: Connection, *, enterprise_id: int, building_id: int,
                  floor_share: float = 1.0) -> None:
    """The enterprise occupies ``floor_share`` (0–1] of a fused building's floor area."""
    require_transaction(conn, "link_building")
    if not 0 < floor_share <= 1:
        raise BadRequest("floor_share is in (0, 1]")
    conn.execute(
        "INSERT INTO enterprise_building (enterprise_id, building_id, floor_share)"
        " VALUES (%s, %s, %s) ON CONFLICT (enterprise_id, building_id)"
        " DO UPDATE SET floor_share = EXCLUDED.floor_share",
        [enterprise_id, building_id, floor_share])


def create_meter(conn: Connection, *, spec: MeterSpec) -> dict[str, Any]:
    """Register a meter; 409 if its id is taken, 400 for a parent that would make a cycle or a
    park, enterprise, building or parent that does not exist."""
    require_transaction(conn, "create_meter")
    spec.check()
    values = asdict(spec)
    sql = (f"INSERT INTO meter ({', '.join(METER_COLUMNS)})"
           f" VALUES ({', '.join(['%s'] * len(METER_COLUMNS))})")
    try:
        with conn.transaction():
            conn.execute(sql, [values[c] for c in METER_COLUMNS])
    except psycopg.errors.UniqueViolation:
        raise Conflict(f"meter {spec.id} exists") from None
    except psycopg.errors.ForeignKeyViolation as exc:
        raise BadRequest(f"meter {spec.id}: {_missing(exc)}") from None
    except psycopg.errors.CheckViolation:
        raise BadRequest(f"meter {spec.id}: the sub-metering tree may not have a cycle") from None
    return get_meter(conn, meter_id=spec.id)


def set_parent(conn: Connection, *, meter_id: str, parent_id: str | None,
               counted_in_parent: bool = True) -> None:
    require_transaction(conn, "set_parent")
    try:
        with conn.transaction():
            cur = conn.execute(
                "UPDATE meter SET parent_id = %s, counted_in_parent = %s WHERE id = %s",
                [parent_id, counted_in_parent, meter_id])
    except psycopg.errors.CheckViolation:
        raise BadRequest(f"meter {meter_id} cannot be below {parent_id}: a cycle") from None
    except psycopg.errors.ForeignKeyViolation:
        raise BadRequest(f"no meter {parent_id!r}") from None
    if cur.rowcount == 0:
        raise NotFound(f"no meter {meter_id!r}")


def _missing(exc: psycopg.errors.ForeignKeyViolation) -> str:
    detail = exc.diag.message_detail or ""
    # 'Key (enterprise_id)=(99) is not present in table "enterprise".'
    return detail.replace("Key ", "no ").split(" is not present")[0] or "a reference is missing"


def record_replacement(conn: Connection, *, meter_id: str, replaced_at: datetime,
                       old_final: float, new_initial: float = 0.0,
                       old_serial: str | None = None, new_serial: str | None = None,
                       note: str = "") -> None:
    """The physical meter behind ``meter_id`` was swapped: the old register's last value and
    the new one's first keep the consumption across the swap exact."""
    get_meter(conn, meter_id=meter_id)
    conn.execute(
        "INSERT INTO meter_replacement (meter_id, replaced_at, old_final, new_initial,"
        " old_serial, new_serial, note) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (meter_id, replaced_at) DO UPDATE SET old_final = EXCLUDED.old_final,"
        " new_initial = EXCLUDED.new_initial",
        [meter_id, replaced_at, old_final, new_initial, old_serial, new_serial, note])
    mark_dirty_around(conn, meter_id=meter_id, ts=replaced_at)


def mark_dirty_around(conn: Connection, *, meter_id: str, ts: datetime) -> None:
    conn.execute(
        "INSERT INTO energy_dirty_day (meter_id, day) SELECT %s, d FROM (VALUES"
        " (((%s::timestamptz) AT TIME ZONE 'Asia/Shanghai')::date),"
        " (((%s::timestamptz - interval '1 microsecond') AT TIME ZONE 'Asia/Shanghai')::date))"
        " v(d) ON CONFLICT DO NOTHING", [meter_id, ts, ts])


METER_SELECT = (
    "SELECT m.id, m.name, m.kind, m.unit, m.reading_type, m.multiplier, m.register_max,"
    " m.parent_id, m.counted_in_parent, m.park_code, m.enterprise_id, m.building_id,"
    " m.synthetic, m.created_at, coalesce((SELECT json_agg(json_build_object("
    "'replaced_at', r.replaced_at, 'old_final', r.old_final, 'new_initial', r.new_initial,"
    " 'old_serial', r.old_serial, 'new_serial', r.new_serial, 'note', r.note)"
    " ORDER BY r.replaced_at) FROM meter_replacement r WHERE r.meter_id = m.id), '[]')"
    " AS replacements FROM meter m")


def get_meter(conn: Connection, *, meter_id: str) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(METER_SELECT + " WHERE m.id = %s", [meter_id]).fetchone()
    if row is None:
        raise NotFound(f"no meter {meter_id!r}")
    return row


def list_meters(conn: Connection, *, enterprise_id: int | None = None,
                park_code: str | None = None, kind: str | None = None,
                limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    where = (" WHERE (%(e)s::bigint IS NULL OR m.enterprise_id = %(e)s)"
             " AND (%(p)s::text IS NULL OR m.park_code = %(p)s)"
             " AND (%(k)s::text IS NULL OR m.kind = %(k)s)")
    params = {"e": enterprise_id, "p": park_code, "k": kind, "lim": limit, "off": offset}
    with conn.cursor(row_factory=dict_row) as cur:
        total = cur.execute("SELECT count(*) AS n FROM meter m" + where, params).fetchone()
        rows = cur.execute(METER_SELECT + where + " ORDER BY m.id LIMIT %(lim)s OFFSET %(off)s",
                           params).fetchall()
    return int(total["n"] if total else 0), rows
