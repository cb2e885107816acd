"""``dizhi energy import`` and ``dizhi energy key``: committed like the real command, on rows of
their own."""

import io

import psycopg
import pytest

from address.errors import BadRequest
from api.cli.energy import line_chunks
from api.cli.energy_import import import_pieces
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


def _import(database_url, text: bytes, size: int, connections: int = 2):
    return import_pieces(lambda: psycopg.connect(database_url, autocommit=True),
                         chunks=line_chunks(io.BytesIO(text), size=size),
                         connections=connections, source="import")


def test_pipelined_import_keeps_file_order_per_meter(database_url):
    """Small pieces on two connections, into a month no partition exists for yet: every
    reading once, a later line's value corrects an earlier piece's (its history kept)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        meters = [builders.meter(conn, reading_type="interval") for _ in range(6)]
    lines = [f"{m},2031-03-{d:02d}T{h:02d}:00:00+08:00,{d * 24 + h}"
             for d in (1, 2) for h in range(24) for m in meters]
    lines.append(f"{meters[0]},2031-03-01T05:00:00+08:00,999")  # corrects its first value, 29
    text = ("\ufeffmeter_id,ts,value\n" + "\n".join(lines) + "\n").encode()
    first = _import(database_url, text, size=500)
    assert (first.received, first.inserted, first.corrected) == (len(lines), len(lines) - 1, 1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT value FROM reading WHERE meter_id = %s AND ts = %s",
                            [meters[0], "2031-03-01T05:00:00+08:00"]).fetchone() == (999,)
        assert conn.execute("SELECT old_value, new_value FROM reading_revision"
                            " WHERE meter_id = %s", [meters[0]]).fetchall() == [(29, 999)]
        assert conn.execute("SELECT count(*) FROM reading WHERE meter_id = ANY(%s)",
                            [meters]).fetchone() == (len(lines) - 1,)
    # again, cut elsewhere: nothing new, and the file's last word on 05:00 stands (the
    # correction is replayed when its two lines fall into different pieces again)
    again = _import(database_url, text, size=700, connections=3)
    assert again.inserted == 0 and again.unchanged >= len(lines) - 2
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*), sum(value) FROM reading WHERE meter_id = ANY(%s)",
                            [meters]).fetchone() == (len(lines) - 1,
                                                     sum(range(24, 72)) * 6 - 29 + 999)


def test_pipelined_import_words_a_bad_piece(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        meter = builders.meter(conn)
    lines = [f"{meter},2031-04-01T{h:02d}:00:00+08:00,{h}" for h in range(24)]
    lines[20] = f"{meter},2031-04-01T20:00:00,20"  # no UTC offset
    text = ("meter_id,ts,value\n" + "\n".join(lines) + "\n").encode()
    with pytest.raises(BadRequest, match="UTC offset"):
        _import(database_url, text, size=200)
