"""What the parser reads (``parse_fold``) and the admin codes of a text's rows: the kernel's
resolved unit, or the Python resolver (address.parse.resolve) where the kernel left it (-2)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from address.parse.resolve import RESOLVABLE, resolve_codes
from address.parse.tagger import LABELS
from address.text.normalize import fold, number_fold

if TYPE_CHECKING:
    from address.parse.compiled.run import Tables  # numba loads only when parsing starts

Row = tuple[int, int, int]  # (label index into tagger.LABELS, start, end)
_SPACE = re.compile(r"\s+")


def parse_fold(text: str) -> str:
    """What the parser reads instead of ``text``: same length, folded (normalize.fold) and with
    door, unit, floor and room numbers in Chinese numerals as digits (normalize.number_fold)."""
    return number_fold(fold(text))


def _name(text: str) -> str:
    """Admin names only need folding (no numbers or aliases in them): cheaper than normalize."""
    return _SPACE.sub("", fold(text))


def admin_mentions(folded: str, spans: Iterable[tuple[str, int, int]],
                   labels: frozenset[str] = RESOLVABLE) -> list[tuple[str, str]]:
    """(label, name) of the spans the resolver reads (or of ``labels``), the names as the
    parser read them."""
    return [(label, _name(folded[start:end])) for label, start, end in spans if label in labels]


def unit_codes(unit: int, text: str, rows: Iterable[Row], tb: Tables) -> dict[str, str]:
    """level → code for the kernel's resolved unit (shared dicts: do not change them)."""
    if unit >= 0:
        return tb.chain_codes(unit)
    if unit == -1:
        return {}
    # -2: more admin mentions than the kernel holds; the Python resolver
    return resolve_codes(admin_mentions(parse_fold(text), [(LABELS[label], start, end)
                                                           for label, start, end in rows]))
