"""Line-oriented I/O for ``dizhi parse``: one output record per input line, in order.

JSON mode yields ``ParsedAddress.to_dict()`` per line. CoNLL mode yields the CCKS 2021 layout
(character, space, BIOES tag per line, blank line after each address), so the output can be
scored with the same tools as the shared task. An empty input line still yields a record (empty
fields in JSON, a lone blank line in CoNLL) so outputs stay aligned with inputs. A JSON record
has no newline (the caller ends the line); a CoNLL record is the whole block, blank line
included, ready to write as is — as ``dizhi parse`` does. From a pipe or a file ``dizhi parse``
writes JSON lines with :func:`json_lines_utf8` instead: the same bytes, many records at a time.
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from address.parse.corpus import to_bioes
from address.parse.jsonl import json_lines
from address.parse.parser import ParsedAddress, parse, parse_batch
from api.cli.lines import batches, stdin_batch_size, stdin_lines

if TYPE_CHECKING:
    from concurrent.futures import Future


def parse_stdin(*, conll: bool = False) -> None:
    """``dizhi parse``: standard input's lines parsed to standard output."""
    chunk = stdin_batch_size()
    if conll or chunk == 1:  # CoNLL, or a terminal: a record as each line comes
        for record in parse_lines(stdin_lines(), conll=conll, chunk=chunk):
            sys.stdout.write(record if conll else record + "\n")
        return
    sys.stdout.flush()  # JSON is UTF-8 (RFC 8259), whatever the locale
    for data in json_lines_utf8(stdin_lines(), chunk=chunk):
        sys.stdout.buffer.write(data)


def conll_record(text: str, parsed: ParsedAddress | None = None) -> str:
    """One address in CCKS CoNLL form, ending with its blank separator line."""
    if not text:
        return "\n"
    tags = ["O"] * len(text)
    for span in (parsed or parse(text)).spans:  # parse's spans, so the room rule applies
        tags[span.start] = "B-" + span.label
        tags[span.start + 1:span.end] = ["I-" + span.label] * (span.end - span.start - 1)
    tags = to_bioes(tags)
    # A space or tab as the character would break "char tag" columns; CCKS writes nothing else.
    lines = [f"{ch if not ch.isspace() else '_'} {t}" for ch, t in zip(text, tags, strict=True)]
    return "\n".join(lines) + "\n\n"


def json_record(text: str, parsed: ParsedAddress | None = None) -> str:
    """One address as a JSON object string."""
    return json.dumps((parsed or parse(text)).to_dict(), ensure_ascii=False)


def parse_lines(lines: Iterable[str], *, conll: bool = False, chunk: int = 1) -> Iterator[str]:
    """Parse each line (trailing newline stripped only) and yield its record.

    Lines are parsed ``chunk`` at a time in one batch (``dizhi parse`` uses 4,096 unless its
    input is a terminal, where each line should answer at once).
    """
    record = conll_record if conll else json_record
    for batch in batches(lines, chunk):
        yield from _records(batch, record)


def json_lines_utf8(lines: Iterable[str], *, chunk: int, threads: int = 2) -> Iterator[bytes]:
    """What ``parse_lines(lines)`` yields, each record with its line end, in UTF-8, ``chunk``
    lines a time as one piece (address.parse.jsonl: no Python object per address).

    Chunks are parsed on ``threads`` threads, a few ahead of the one being written: the kernel
    and the writer run without the GIL, so a second core shortens the run as a user sees it.
    """
    from concurrent.futures import ThreadPoolExecutor

    ahead: deque[Future[bytes]] = deque()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for batch in batches(lines, chunk):
            ahead.append(pool.submit(_json_chunk, batch))
            if len(ahead) > 2 * threads:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _json_chunk(texts: list[str]) -> bytes:
    """The chunk's records, each distinct text parsed and written once (a sixth of the CCKS
    test addresses repeat one within 4,096 lines; a record depends on its text alone)."""
    index: dict[str, int] = {}
    ids = [index.setdefault(text, len(index)) for text in texts]
    if len(index) == len(texts):
        return json_lines(parse_batch(texts))
    records = json_lines(parse_batch(list(index))).split(b"\n")  # JSON escapes its newlines
    return b"\n".join(map(records.__getitem__, ids)) + b"\n"


def _records(texts: list[str], record: Callable[[str, ParsedAddress | None], str],
             ) -> Iterator[str]:
    if len(texts) == 1:
        yield record(texts[0], None)
    elif texts:
        for text, parsed in zip(texts, parse_batch(texts), strict=True):
            yield record(text, parsed)
