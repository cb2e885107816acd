"""The hash of every module of the package, without numba: what numba's cache (``cache``), the
stored tables (``store``) and the ahead-of-time kernels (``kernels``) are keyed by, so an edit to
any stage makes all three stale at once."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=8)
def _digest(stats: tuple[tuple[str, int, int], ...]) -> str:
    sha = hashlib.sha256()
    for name, _, _ in stats:
        sha.update(name.encode() + b"\0" + (_HERE / name).read_bytes())
    return sha.hexdigest()


def package_stamp() -> str:
    """The hash of every module of the package (re-read only when one changed on disk)."""
    paths = sorted(_HERE.glob("*.py"))
    return _digest(tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths))
