"""``dizhi standardize`` and ``dizhi match``: the address API's answers as JSON lines.

``standardize`` reads one address per line; ``match`` reads one pair per line, either a JSON
object ``{"a": …, "b": …}`` or two texts separated by a tab. One output line per input line, in
order; a line that cannot be read gives ``{"line": n, "error": …}`` in its place, so outputs stay
aligned with inputs. Lines are parsed in batches (one at a time at a terminal).
"""

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from api.cli.lines import batches, stdin_batch_size, stdin_lines


def _write(records: Iterable[dict[str, Any]]) -> None:
    for record in records:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def standardize_command() -> None:
    """Standardize one address per stdin line into JSON lines."""
    from address.parse.parser import parse_batch
    from address.text.describe import describe

    for chunk in batches(stdin_lines(), stdin_batch_size()):
        _write(describe(parsed) for parsed in parse_batch(chunk))


def read_pair(line: str) -> tuple[str, str]:
    """A JSON object with ``a`` and ``b``, or two texts separated by a tab."""
    if line.lstrip().startswith("{"):
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("a"), str) \
                or not isinstance(data.get("b"), str):
            raise ValueError('a JSON line needs string fields "a" and "b"')
        return data["a"], data["b"]
    a, tab, b = line.partition("\t")
    if not tab:
        raise ValueError('give {"a": …, "b": …} or two addresses separated by a tab')
    return a, b


def _compared(chunk: list[str], first_line: int) -> Iterator[dict[str, Any]]:
    from address.parse.parser import parse_batch
    from address.text.describe import compare

    pairs: list[tuple[str, str] | str] = []
    for line in chunk:
        try:
            pairs.append(read_pair(line))
        except ValueError as exc:
            pairs.append(str(exc))
    texts = [text for pair in pairs if isinstance(pair, tuple) for text in pair]
    parsed = iter(parse_batch(texts))
    for n, pair in enumerate(pairs, start=first_line):
        if isinstance(pair, str):
            yield {"line": n, "error": pair}
        else:
            yield compare(next(parsed), next(parsed))


def match_command() -> None:
    """Compare address pairs (JSON {"a","b"} or tab-separated, one per stdin line)."""
    line = 1
    for chunk in batches(stdin_lines(), stdin_batch_size()):
        _write(_compared(chunk, line))
        line += len(chunk)
