"""Standard input as lines, and lines in batches: what ``dizhi parse``, ``standardize`` and
``match`` read. Light on purpose (no rich, no typer): ``dizhi parse`` from a pipe starts here."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from itertools import islice

from address.text.encoding import decode_text

STDIN_BATCH = 4096  # lines parsed in one batch from a pipe or file (one at a time at a terminal)


def stdin_batch_size() -> int:
    return 1 if sys.stdin.isatty() else STDIN_BATCH


def batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    """``lines`` (each with its line end stripped) ``size`` at a time, the last batch shorter."""
    it = iter(lines)
    while batch := [line.rstrip("\r\n") for line in islice(it, size)]:
        yield batch


def stdin_lines() -> Iterator[str]:
    """Standard input's lines; from a pipe or file the encoding is detected as for files (the
    whole input is read first), at a terminal the terminal's encoding is used."""
    if sys.stdin.isatty():
        yield from sys.stdin
        return
    decoded = decode_text(sys.stdin.buffer.read(), what="standard input")
    if decoded.encoding != "utf-8":
        print(f"read standard input as {decoded.encoding}", file=sys.stderr)
    text = decoded.text
    yield from text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
