"""Build ``_kernels``, the ahead-of-time compiled entry points (see ``kernels``):

    python -m address.parse.compiled.aot [--if-stale]

Runs each jit entry point once on a sample (compiling it, or loading numba's cache) to learn the
exact argument types the parse calls it with, then compiles the same functions for those types
with ``numba.pycc`` into an extension module next to this file (gcc, about 20 s), releasing the
GIL as the jit functions do (``dizhi parse`` runs chunks on two threads), and writes the stamp
``kernels`` checks. ``--if-stale``: do nothing when the built module's stamp is current.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from address.parse.compiled.kernels import STAMP_FILE, jit_kernels, stamp

_HERE = Path(__file__).resolve().parent
_SAMPLE = ["上海市青浦区华新镇华志路559号3幢2单元501室", "北京市朝阳区建国路88号", "青浦华新"]


def _signatures() -> dict[str, Any]:
    """Each entry point's one signature, from calling it as ``parse_batch`` and ``json_lines``
    do (the jit functions: ``DIZHI_PARSE_JIT`` is set before anything loads kernels)."""
    from address.parse.jsonl import json_lines
    from address.parse.parser import parse_batch

    json_lines(parse_batch(_SAMPLE))
    found = {}
    for name, fn in jit_kernels()._asdict().items():
        if name == "ahead_of_time":
            continue
        (found[name],) = fn.nopython_signatures  # the parse calls it with one set of types
    return found


def _releasing_gil() -> None:
    """pycc's exported wrappers hold the GIL; make them release it (numba's ``nogil``)."""
    import numba.pycc.compiler as pycc_compiler

    class Flags(pycc_compiler.Flags):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil: Any = True

    pycc_compiler.Flags = Flags  # type: ignore[misc]


def build() -> Path:
    """Compile ``_kernels`` and write its stamp; returns the module's path."""
    os.environ["DIZHI_PARSE_JIT"] = "1"
    signatures = _signatures()
    _releasing_gil()
    from numba.pycc import CC

    cc = CC("_kernels")
    cc.output_dir = str(_HERE)
    functions = jit_kernels()
    for name, signature in signatures.items():
        cc.export(name, signature)(getattr(functions, name).py_func)
    STAMP_FILE.unlink(missing_ok=True)  # a half-written build is never taken for current
    cc.compile()  # in a temporary directory it removes
    STAMP_FILE.write_text(stamp(), encoding="utf-8")
    return Path(cc.output_dir) / cc.output_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--if-stale", action="store_true")
    args = parser.parse_args()
    if args.if_stale and STAMP_FILE.exists() and STAMP_FILE.read_text(encoding="utf-8") == stamp():
        print("address/parse/compiled/_kernels is current")
        return
    print(f"built {build()}")


if __name__ == "__main__":
    main()
