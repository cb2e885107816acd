"""Standard addresses: the pure core (normalize, parse, format, match, extract) and the registry.

The names below load on first use (PEP 562), so importing anything under ``address`` (its errors,
say) does not load the parser and its model. ``address.parse`` is both a sub-package and, here,
the parse function: ``from address import parse`` gives the function (import
``address.parse.parser`` for the module).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from address.parse.parser import (
        ParsedAddress,
        ParsedBatch,
        Span,
        parse,
        parse_batch,
        parse_many,
    )
    from address.text.extract import extract
    from address.text.format import address_key, format_address
    from address.text.match import MatchResult, match
    from address.text.normalize import normalize

_HOMES = {
    "address.parse.parser": ("ParsedAddress", "ParsedBatch", "Span", "parse", "parse_batch",
                             "parse_many"),
    "address.text.extract": ("extract",),
    "address.text.format": ("address_key", "format_address"),
    "address.text.match": ("MatchResult", "match"),
    "address.text.normalize": ("normalize",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}
__all__ = ["MatchResult", "ParsedAddress", "ParsedBatch", "Span", "address_key", "extract",
           "format_address", "match", "normalize", "parse", "parse_batch", "parse_many"]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'address' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    if name != "parse":  # see _Package
        globals()[name] = value
    return value


class _Package(ModuleType):
    """The package's module type: importing the sub-package ``address.parse`` binds it as the
    attribute ``parse`` of this package, which would hide the function; this property keeps
    the function there."""

    @property
    def parse(self) -> Any:
        return __getattr__("parse")

    @parse.setter
    def parse(self, value: Any) -> None:
        pass  # the import system binding the sub-package; it stays in sys.modules


sys.modules[__name__].__class__ = _Package
