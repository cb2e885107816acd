"""The exact search: the register's address whose key the query's has (any spelling the
register knows: its canonical text, its text without the admin part, an alias)."""

from typing import Any, Protocol

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.query import Reading
from address.geocode.results import candidate_from_row
from address.geocode.searches.base import AbstractSearch, Answer
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

    def __init__(self, reading: Reading, *, keys: KeyRows, priority: int = 0) -> None:
        super().__init__(reading, priority=priority)
        self.keys = keys

    def lookup(self, conn: Connection, details: GeocodeRequest) -> Answer | None:
        form = self.reading.form
        rows = self.keys.rows(conn, district=self.reading.district,
                              address_key=form.address_key, local_key=form.local_key)
        if not rows:
            return None
        wanted = details.town_code or form.codes.get("town")
        rows = sorted(rows, key=lambda r: (r["town_code"] != wanted, r["code"]))  # its town first
        towns = {r["town_code"] for r in rows}
        return Answer(tuple(candidate_from_row(r, "exact") for r in rows[: details.limit]),
                      penalty=0.0 if len(towns) <= 1 else AMBIGUOUS)
