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


def test_ahead_of_time_kernels_equal_the_jit_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extension built by ``python -m address.parse.compiled.aot`` (the Makefile's setup)
    answers as numba's jit functions do, and a process that parses with it loads no numba."""
    from address.parse.compiled import kernels, run
    from address.parse.jsonl import json_lines
    from address.parse.parser import parse_batch

    built = kernels._ahead_of_time()
    if built is None:
        pytest.skip("the kernels are not built for this code (make kernels)")
    texts = ["上海市青浦区华新镇华志路五百五十九号3幢2单元501室", "上海青浦华新华志路559号",
             "", "北京市朝阳区建国路88号", "陕西南路", "青浦华新", "上海市青浦区华新镇"] * 3
    tb = tables.tables(str(tagger.MODEL))
    answers = []
    for chosen in (kernels.jit_kernels(), built):
        monkeypatch.setattr(kernels, "kernels", lambda chosen=chosen: chosen)
        monkeypatch.setattr(run, "kernels", kernels.kernels)
        answers.append((run.run_with(texts, tb), json_lines(parse_batch(texts))))
    (jit_spans, jit_json), (aot_spans, aot_json) = answers
    assert all(np.array_equal(a, b) for a, b in zip(aot_spans, jit_spans, strict=True))
    assert aot_json == jit_json
    loaded = _modules_after("from address.parse.parser import parse_batch\n"
                            "from address.parse.jsonl import json_lines\n"
                            "json_lines(parse_batch(['上海市青浦区华志路559号', '青浦华新']))")
    assert "numba" not in loaded


def test_kernels_fall_back_to_jit_when_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """A build of other code, or DIZHI_PARSE_JIT=1: numba's jit functions."""
    from address.parse.compiled import kernels

    monkeypatch.setattr(kernels, "stamp", lambda: "another build")
    assert kernels._ahead_of_time() is None
    monkeypatch.undo()
    monkeypatch.setenv("DIZHI_PARSE_JIT", "1")
    assert kernels._ahead_of_time() is None
