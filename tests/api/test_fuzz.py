"""schemathesis over the whole OpenAPI, anonymous and admin, on the test's own database: no
answer is a 5xx. (bench/resilience.py runs the same with a bigger budget.)"""

import os

import pytest
from schemathesis.python import asgi

from api.app import create_app
from tests.fuzz import fuzz
from tests.layers.builders import headers_for

EXAMPLES = int(os.environ.get("DIZHI_FUZZ_EXAMPLES", "4"))


@pytest.fixture
def fuzzed_app(database_url):
    app = create_app(url=database_url)
    yield app
    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan; close its pool


def test_no_request_makes_a_server_error(fuzzed_app, conn):
    callers = {"anonymous": {}, "admin": headers_for(conn, "admin")}
    report = fuzz(fuzzed_app, callers=callers, max_examples=EXAMPLES)
    print(report.as_dict())
    assert report.requests > 500
    assert report.server_errors == []
