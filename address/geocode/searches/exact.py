"""The exact search: the register's address whose key the query's has (any spelling the
register knows: its canonical text, its text without the admin part, an alias)."""

from typing import Any, Protocol

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.query import Reading
from address.geocode.results import Candidate, candidate_from_row
from address.geocode.searches.base import AbstractSearch
from address.geocode.sql import address_rows_by_key

AMBIGUOUS = 0.2  # the key names addresses in several towns


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
