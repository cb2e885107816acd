"""The slice of the sample park the map tests draw (three enterprises, two months)."""

from pathlib import Path

import psycopg

from api.auth import create_key
from layers.energy import sample_park

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def load_slice(database_url: str) -> str:
    """The slice loaded into the database; an energy key to read it."""
    plan = sample_park.read_plan(SAMPLE)
    assert plan is not None
    with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
        sample_park.load_park(conn, plan=sample_park.sliced(plan, days=59, enterprises=3),
                              sources_dirs=[SAMPLE], district="310118")
        return create_key(conn, role="energy", name="energy map test").key
