"""``dizhi energy import`` and ``dizhi energy key``: committed like the real command, on rows of
their own."""

import io

import psycopg

from api.cli.energy import line_chunks
from api.cli.main import app
from tests.layers.energy import builders


def test_line_chunks_end_at_line_ends():
    text = b"".join(f"m,{i},{i}\n".encode() for i in range(1000))
    chunks = list(line_chunks(io.BytesIO(text), size=100))
    assert b"".join(chunks) == text and all(c.endswith(b"\n") for c in chunks)


def test_import_is_idempotent(cli_runner, database_url, tmp_path):
    with psycopg.connect(database_url, autocommit=True) as conn:
        meter = builders.meter(conn)
    lines = [f"{meter},2024-07-01T{h:02d}:{q * 15:02d}:00+08:00,{h * 4 + q}"
             for h in range(24) for q in range(4)]
    path = tmp_path / "readings.csv"
    path.write_text("\ufeffmeter_id,ts,value\n" + "\n".join(lines) + "\n", encoding="utf-8")
    first = cli_runner.invoke(app, ["energy", "import", str(path)])
    assert first.exit_code == 0, first.output
    assert "96 readings" in first.output and "96 new" in first.output
    again = cli_runner.invoke(app, ["energy", "import", str(path)])
    assert "96 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("meter_id,ts,value\nghost,2024-07-01T00:00:00+08:00,1\n", encoding="utf-8")
    failed = cli_runner.invoke(app, ["energy", "import", str(bad)])
    assert failed.exit_code != 0 and "unknown meters" in str(failed.exception)


def test_enterprise_key(cli_runner, database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        enterprise = builders.enterprise(conn)
    result = cli_runner.invoke(app, ["energy", "key", "--enterprise-id", str(enterprise)])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("dz_")
