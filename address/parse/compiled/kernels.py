"""The compiled functions Python calls, ahead of time when they were built, else numba's jit.

Loading numba and its cached machine code is about 0.6 CPU-s of every process that parses (a
one-line ``dizhi parse`` spends most of its time there, one over 50,000 addresses a quarter).
So ``python -m address.parse.compiled.aot`` (run by the Makefile's setup) compiles the three
entry points (``batch.parse_all``, ``order.text_order``, ``jsonl.write``) from the same source
into a small extension module, ``_kernels``, with ``numba.pycc``; importing it takes a
millisecond and needs no numba. It is used only when its stamp (written beside it) is this
package's (``stamp.package_stamp``) and numpy's version: after an edit, or with no extension
built (a plain ``pip install``), or with ``DIZHI_PARSE_JIT=1``, the jit functions run as
before, slower to start and with the same results.

What Python reads of their answers is in ``results`` (no numba either).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from address.parse.compiled.results import Batch
from address.parse.compiled.stamp import package_stamp

__all__ = ["Batch", "Kernels", "jit_kernels", "kernels", "stamp"]

_HERE = Path(__file__).resolve().parent
STAMP_FILE = _HERE / "_kernels.stamp"


class Kernels(NamedTuple):
    parse_all: Any
    text_order: Any
    write: Any
    ahead_of_time: bool


def stamp() -> str:
    """What the built extension must have been built from."""
    return f"{package_stamp()} numpy {np.__version__}"


def jit_kernels() -> Kernels:
    """The numba functions themselves."""
    from address.parse.compiled.batch import parse_all
    from address.parse.compiled.jsonl import write
    from address.parse.compiled.order import text_order

    return Kernels(parse_all, text_order, write, False)


def _ahead_of_time() -> Kernels | None:
    if os.environ.get("DIZHI_PARSE_JIT") == "1":
        return None
    try:
        if STAMP_FILE.read_text(encoding="utf-8") != stamp():
            return None
        from address.parse.compiled import _kernels  # type: ignore[attr-defined]
    except (OSError, ImportError):
        return None
    return Kernels(_kernels.parse_all, _kernels.text_order, _kernels.write, True)


@cache
def kernels() -> Kernels:
    """The extension's functions when it is built for this code, else the jit ones."""
    return _ahead_of_time() or jit_kernels()
