"""Small energy rows for tests: a park, enterprises with valid credit codes, meters. Every name
is unique per call, so tests work whether or not their writes outlive them."""

import secrets
from typing import Any

from stdnum.cn import uscc

from layers.energy.model import MeterSpec, create_enterprise, create_meter, create_park


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def credit_code() -> str:
    """A random 统一社会信用代码 with the right GB 32100 check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "91310118" + "".join(secrets.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body)


def park(conn: Any) -> str:
    code = unique("TESTPARK")
    with conn.transaction():
        create_park(conn, code=code, name="测试园区 (synthetic)", synthetic=True,
                    geom_wkt="POLYGON((121.0 31.1,121.01 31.1,121.01 31.11,121.0 31.11,"
                             "121.0 31.1))")
    return code


def enterprise(conn: Any, park_code: str | None = None) -> int:
    with conn.transaction():
        return create_enterprise(conn, name=unique("测试企业"), credit_code=credit_code(),
                                 park_code=park_code, synthetic=True)


def meter(conn: Any, **fields: Any) -> str:
    fields.setdefault("id", unique("M"))
    fields.setdefault("kind", "electricity")
    fields.setdefault("unit", "kWh")
    fields.setdefault("reading_type", "cumulative")
    with conn.transaction():
        create_meter(conn, spec=MeterSpec(**fields))
    return str(fields["id"])
