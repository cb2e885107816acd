"""numba's on-disk cache, made to notice a change in any stage module.

numba keeps a compiled function together with the code of every function it calls, but checks
only the function's own file when it loads it: once the parse is split over several modules, an
edit to ``viterbi.py`` would leave ``batch.parse_all`` loading the old Viterbi from the cache
(numba's documented limitation, numba/numba#8396). So every function compiled in this package
is stamped with the hash of all of the package's modules: change one and all reload, as when the
parse was one file. Imported by ``hashing`` (which every stage imports) before anything is
compiled; where the cache lives is numba's choice as before (``__pycache__`` or
``NUMBA_CACHE_DIR``).

It also loads numba's array-math registry without its scipy probe, a third of a one-line
parse's start-up, and its cffi support without cffi (``_import_hiding``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from numba.core import caching

from address.parse.compiled.stamp import package_stamp

_HERE = Path(__file__).resolve().parent
# The locator classes numba tries in turn (on CacheImpl, _CacheImpl in older numba).
_IMPL: Any = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
_LOCATORS: list[Any] = _IMPL._locator_classes


class _PackageLocator(caching._CacheLocator):
    """The locator numba would pick, with the package's stamp instead of one file's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def ensure_cache_path(self) -> None:
        self._inner.ensure_cache_path()

    def get_cache_path(self) -> Any:
        return self._inner.get_cache_path()

    def get_source_stamp(self) -> Any:
        return package_stamp()

    def get_disambiguator(self) -> Any:
        return self._inner.get_disambiguator()

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> _PackageLocator | None:
        if Path(py_file).resolve().parent != _HERE:
            return None
        for other in _LOCATORS:
            found = None if other is cls else other.from_function(py_func, py_file)
            if found is not None:
                return cls(found)
        return None


if _PackageLocator not in _LOCATORS:
    _LOCATORS.insert(0, _PackageLocator)


def _import_hiding(module: str, hidden: str, unless: str) -> None:
    """Import ``module`` while ``hidden`` cannot be imported, unless ``unless`` (or ``module``)
    is loaded already."""
    if module in sys.modules or unless in sys.modules:
        return
    sys.modules[hidden] = None  # type: ignore[assignment]  # import fails
    try:
        importlib.import_module(module)
    finally:
        del sys.modules[hidden]


# numba.np.arraymath with scipy's BLAS module hidden. When numba first compiles or loads a
# function, its array-math registry checks for a BLAS by importing scipy.linalg (0.3–0.7 s here,
# more than loading the whole compiled parse). The parse uses no BLAS; without one, numba's only
# change is that ``np.dot`` of two vectors runs as a loop (``_HAVE_BLAS`` in
# numba/np/arraymath.py), while ``np.linalg`` still imports scipy when a function uses it. A
# process that already loaded scipy.linalg keeps the probe.
_import_hiding("numba.np.arraymath", "scipy.linalg.cython_blas", "scipy.linalg")
# numba's cffi support with cffi hidden: its ``cffi.FFI()`` parses C declarations (pycparser)
# when numba first types a call, a tenth of loading the compiled parse; the parse passes no cffi
# functions. A process that already loaded cffi keeps the support.
_import_hiding("numba.core.typing.cffi_utils", "cffi", "cffi")
