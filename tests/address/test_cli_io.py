"""cli_io.parse_lines: exactly one record per input line, in order."""

import json

from api.cli.parse_io import parse_lines

LINES = ["上海市青浦区华新镇华腾路1288号\n", "\n", "😀😀\n", "朱家角镇张马村8组"]


def test_json_one_record_per_line() -> None:
    out = list(parse_lines(LINES))
    assert len(out) == len(LINES)
    records = [json.loads(r) for r in out]
    assert records[0]["codes"]["town"] == "310118107"
    assert records[1]["text"] == "" and records[1]["spans"] == []
    assert records[3]["components"]["village_group"] == "8组"
    assert "\n" not in out[0]


def test_conll_layout() -> None:
    out = list(parse_lines(LINES, conll=True))
    assert len(out) == len(LINES)
    assert all(r.endswith("\n\n") or r == "\n" for r in out)
    rows = out[3].rstrip("\n").split("\n")
    assert len(rows) == len("朱家角镇张马村8组")
    assert rows[0] == "朱 B-town" and rows[-1] == "组 E-village_group"
    assert out[1] == "\n"  # an empty line is an empty block: just the blank separator


def test_batched_lines_give_the_same_records() -> None:
    """dizhi parse reads 4,096 lines per batch; the records are those of one line at a time."""
    for conll in (False, True):
        one_by_one = list(parse_lines(LINES, conll=conll))
        assert list(parse_lines(LINES, conll=conll, chunk=3)) == one_by_one
        assert list(parse_lines(LINES, conll=conll, chunk=4096)) == one_by_one


def test_dizhi_parse_from_a_pipe_writes_what_parse_lines_gives() -> None:
    """From a pipe dizhi parse writes many records at a time (address.parse.jsonl)."""
    import subprocess
    import sys
    from pathlib import Path

    lines = [*LINES[:-1], '"引号"\\反斜杠\t\n', "上海市青浦区华志路559号\n", LINES[-1]]
    out = subprocess.run([sys.executable, "-c", "from api.cli.main import main; main()", "parse"],
                         input="".join(lines).encode(), capture_output=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.decode() == "".join(r + "\n" for r in parse_lines(lines))
