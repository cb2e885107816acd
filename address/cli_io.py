"""Line-oriented I/O for ``dizhi parse``: one output record per input line, in order.

JSON mode yields ``ParsedAddress.to_dict()`` per line. CoNLL mode yields the CCKS 2021 layout
(character, space, BIOES tag per line, blank line after each address), so the output can be
scored with the same tools as the shared task. An empty input line still yields a record (empty
fields in JSON, a lone blank line in CoNLL) so outputs stay aligned with inputs. Records carry no
final newline: the caller prints each one (``print`` / ``typer.echo``) and that newline ends the
JSON line or is the blank line closing a CoNLL block.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from address.corpus import to_bioes
from address.normalize import fold
from address.parse import parse
from address.tagger import tag


def conll_record(text: str) -> str:
    """One address in CCKS CoNLL form; printing it adds the blank separator line."""
    if not text:
        return ""
    tags = to_bioes(list(tag(fold(text))))
    # A space or tab as the character would break "char tag" columns; CCKS writes nothing else.
    lines = [f"{ch if not ch.isspace() else '_'} {t}" for ch, t in zip(text, tags, strict=True)]
    return "\n".join(lines) + "\n"


def json_record(text: str) -> str:
    """One address as a JSON object string."""
    return json.dumps(parse(text).to_dict(), ensure_ascii=False)


def parse_lines(lines: Iterable[str], *, conll: bool = False) -> Iterator[str]:
    """Parse each line (trailing newline stripped only) and yield its record."""
    for line in lines:
        text = line.rstrip("\r\n")
        yield conll_record(text) if conll else json_record(text)
