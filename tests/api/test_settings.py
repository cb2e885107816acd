"""One Settings with sections: nested names, the flat names documented before, var_dir defaults."""

from pathlib import Path

from api.settings import Settings


def test_sections_from_nested_names(monkeypatch):
    monkeypatch.setenv("DIZHI_TILE_CACHE__MEMORY_MB", "7")
    monkeypatch.setenv("DIZHI_REGISTRY__DISTRICTS", "310118, 310117")
    settings = Settings()
    assert settings.tile_cache.memory_mb == 7
    assert settings.district_codes == ("310118", "310117")


def test_documented_flat_names_still_work_and_nested_ones_win(monkeypatch):
    monkeypatch.setenv("DIZHI_DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("DIZHI_POOL_MAX_SIZE", "5")
    monkeypatch.setenv("DIZHI_TILE_CACHE_ENABLED", "false")
    monkeypatch.setenv("DIZHI_TILE_CACHE_DIR", "/flat/tiles")
    monkeypatch.setenv("DIZHI_RASTER_DIR", "/flat/rasters")
    settings = Settings()
    assert settings.database.url == "postgresql://elsewhere/db"
    assert settings.database.pool_max_size == 5
    assert settings.tile_cache.enabled is False
    assert settings.tile_cache_dir == Path("/flat/tiles")
    assert settings.raster_dir == Path("/flat/rasters")
    monkeypatch.setenv("DIZHI_TILE_CACHE__DIR", "/nested/tiles")
    assert Settings().tile_cache_dir == Path("/nested/tiles")


def test_directories_follow_var_dir(monkeypatch):
    for name in ("DIZHI_TILE_CACHE_DIR", "DIZHI_TILE_CACHE__DIR", "DIZHI_RASTER_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DIZHI_VAR_DIR", "/srv/dizhi")
    settings = Settings()
    assert settings.tile_cache_dir == Path("/srv/dizhi/tiles")
    assert settings.raster_dir == Path("/srv/dizhi/rasters")
