"""Fixtures the HTTP tests of the catalog, OGC API and tiles share."""

import pytest

from api.settings import get_settings
from tests.layers.builders import headers_for


@pytest.fixture
def planner(conn):
    return headers_for(conn, "planner")


@pytest.fixture
def tile_cache_in_tmp(tmp_path, monkeypatch):
    """Tiles cached under the test's own directory, not the project's var/ (for the apps the
    test builds after this fixture: settings are read again)."""
    monkeypatch.setenv("DIZHI_TILE_CACHE_DIR", str(tmp_path / "tiles"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
