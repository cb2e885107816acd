"""Standard addresses: the pure core (normalize, parse, format, match, extract) and the registry."""

from address.extract import extract
from address.format import address_key, format_address
from address.match import MatchResult, match
from address.normalize import normalize
from address.parse import ParsedAddress, ParsedBatch, Span, parse, parse_batch, parse_many

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
