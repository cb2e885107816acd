"""The energy domain tests call domain functions as a route or a CLI command would: inside the
caller's one transaction (here the test's, committed when the test ends)."""

import pytest


@pytest.fixture
def conn(conn):
    with conn.transaction():
        yield conn
