"""The exact search: the register's address whose key the query's has (any spelling the
register knows: its canonical text, its text without the admin part, an alias)."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Protocol

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.query import Reading, Readings
from address.geocode.results import Candidate, candidate_from_row
from address.geocode.searches.base import AbstractSearch
from address.geocode.sql import (
    address_rows_by_key,
    address_rows_by_key_pair,
    address_rows_by_keys,
)

AMBIGUOUS = 0.2  # the key names addresses in several towns
_Key = tuple[str, str]  # (district, key)


class KeyRows(Protocol):
    """Where the exact search reads the rows of a key: the database, or rows fetched already."""

    def rows(self, conn: Connection, *, district: str, address_key: str,
             local_key: str) -> list[dict[str, Any]]: ...


class RowsByKey:
    """One query per key (a single geocode)."""

    def rows(self, conn: Connection, *, district: str, address_key: str,
             local_key: str) -> list[dict[str, Any]]:
        return address_rows_by_key(conn, district=district, address_key=address_key,
                                   local_key=local_key)


class ChunkKeys:
    """The rows the exact searches of several readings read (a ``KeyRows``: a batch's chunk, or
    a query's two readings), fetched with one query: by address key, and by local key or alias,
    as ``address_rows_by_key`` finds them."""

    def __init__(self, conn: Connection, readings: Iterable[Reading]) -> None:
        wanted = list(readings)
        self._fetched = {(r.district, r.form.address_key, r.form.local_key) for r in wanted}
        self._by_address_key: dict[_Key, list[dict[str, Any]]] = defaultdict(list)
        self._by_local_key: dict[_Key, list[dict[str, Any]]] = defaultdict(list)
        for row in _rows_of(conn, wanted):
            district = row["district_code"]
            if row["alias"] is None:
                self._by_address_key[district, row["address_key"]].append(row)
            self._by_local_key[district, row["alias"] or row["local_key"]].append(row)

    def rows(self, conn: Connection, *, district: str, address_key: str,
             local_key: str) -> list[dict[str, Any]]:
        if (district, address_key, local_key) not in self._fetched:
            return address_rows_by_key(conn, district=district, address_key=address_key,
                                       local_key=local_key)
        found = self._by_address_key.get((district, address_key), []) + self._by_local_key.get(
            (district, local_key), [])
        return list({row["code"]: row for row in found}.values())  # one row per address


def _rows_of(conn: Connection, wanted: list[Reading]) -> list[dict[str, Any]]:
    if len(wanted) == 2:  # one query's two readings
        first, second = wanted
        return address_rows_by_key_pair(
            conn, districts=(first.district, second.district),
            address_keys=(first.form.address_key, second.form.address_key),
            local_keys=(first.form.local_key, second.form.local_key))
    return address_rows_by_keys(
        conn, districts=sorted({r.district for r in wanted}),
        address_keys=sorted({r.form.address_key for r in wanted}),
        local_keys=sorted({r.form.local_key for r in wanted})) if wanted else []


def exact_readings(readings: Iterable[Readings]) -> Iterable[Reading]:
    """The readings the exact searches of the queries look up (``forward.build_searches``)."""
    for r in readings:
        yield from (x for x in r.all() if x is r.whole or x.outside is None)


class ExactSearch(AbstractSearch):
    penalty = 0.0

    def __init__(self, reading: Reading, keys: KeyRows, priority: int = 0) -> None:
        super().__init__(reading, priority)
        self.keys = keys

    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        form = self.reading.form
        rows = self.keys.rows(conn, district=self.reading.district,
                              address_key=form.address_key, local_key=form.local_key)
        if not rows:
            return []
        wanted = details.town_code or form.codes.get("town")
        rows = sorted(rows, key=lambda r: (r["town_code"] != wanted, r["code"]))  # its town first
        several_towns = len({r["town_code"] for r in rows}) > 1
        penalty = self.penalty + (AMBIGUOUS if several_towns else 0.0)
        return [candidate_from_row(r, "exact", penalty) for r in rows[: details.limit]]
