"""A search: one way of finding the query's address, with a penalty (after Nominatim's
``AbstractSearch``).

The penalty says, before the search runs, how far from an exact match its answers are; the
geocoder runs the applicable searches cheapest first and takes the first answer. Each candidate
found carries the search's penalty plus what the answer adds (an address found in several towns,
a shallower address than asked for); its confidence follows from that (``results``).
"""

from abc import ABC, abstractmethod

from psycopg import Connection

from address.geocode.details import GeocodeRequest
from address.geocode.query import Reading
from address.geocode.results import Candidate


class AbstractSearch(ABC):
    """One search over one reading of the query."""

    penalty: float = 0.0  # how loose a match the search makes, 0 for the register's own text

    def __init__(self, reading: Reading, priority: int = 0) -> None:
        self.reading = reading
        self.priority = priority  # among equal penalties, the lower runs first

    @abstractmethod
    def lookup(self, conn: Connection, details: GeocodeRequest) -> list[Candidate]:
        """The candidates found, best first; none when the search may not answer."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.reading.text!r}, penalty={self.penalty})"
