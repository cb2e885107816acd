"""Standard addresses: the pure core (normalize, parse, format, match, extract) and the registry.

``address.parse`` is both a sub-package and, here, the parse function: the function is bound
last, so ``from address import parse`` gives the function (import ``address.parse.parser`` for
the module).
"""

from address.parse.parser import ParsedAddress, ParsedBatch, Span, parse, parse_batch, parse_many
from address.text.extract import extract
from address.text.format import address_key, format_address
from address.text.match import MatchResult, match
from address.text.normalize import normalize

__all__ = [
    "MatchResult",
    "ParsedAddress",
    "ParsedBatch",
    "Span",
    "address_key",
    "extract",
    "format_address",
    "match",
    "normalize",
    "parse",
    "parse_batch",
    "parse_many",
]
