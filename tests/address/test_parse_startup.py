"""Start-up: the compiled tables are stored once and mapped after, and nothing heavy loads
before it is used (``dizhi --help``, ``import address.errors``)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from address.parse import gazetteer, tagger
from address.parse.compiled import store, tables

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(*sys.modules)"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_stored_tables_equal_built_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    path = str(tagger.MODEL)
    built = tables.build(path)
    tables.tables.cache_clear()
    try:
        first = tables.tables(path)  # builds and stores
        assert (store.cache_root() / f"tables-{store.key(path)}" / "meta.json").exists()
        tables.tables.cache_clear()
        mapped = tables.tables(path)  # maps the stored copy
    finally:
        tables.tables.cache_clear()
    assert mapped.unit_codes == built.unit_codes and mapped.crf_tags == built.crf_tags
    for got, want in ((first, built), (mapped, built)):
        for a, b in zip(store._fields(got.arrays).values(), store._fields(want.arrays).values(),
                        strict=True):
            assert type(a) is type(b)
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b) and a.flags.writeable


def test_chain_codes_equal_the_gazetteer_chain() -> None:
    tb = tables.tables(str(tagger.MODEL))
    gaz = gazetteer.load()
    for unit in (0, 5, len(tb.unit_codes) // 2, len(tb.unit_codes) - 1,
                 tb.unit_codes.index("310118107")):
        want = {u.level: u.code for u in gaz.chain(tb.unit_codes[unit])}
        assert list(tb.chain_codes(unit).items()) == list(want.items())


def test_address_package_loads_the_parser_lazily() -> None:
    loaded = _modules_after("import address.errors")
    assert "address.parse.parser" not in loaded and "pycrfsuite" not in loaded
    loaded = _modules_after("from address import parse\nimport address.parse.corpus\n"
                            "from address import parse as again\nassert callable(again)")
    assert "numba" not in loaded  # numba loads when parsing starts


def test_cli_help_loads_no_database_driver_or_numba() -> None:
    loaded = _modules_after("from api.cli.main import app")
    assert not {"numba", "psycopg", "sqlalchemy", "pandas", "address.parse.parser"} & loaded
