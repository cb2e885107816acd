"""The compiled parse's tables on disk: built once per model, memory-mapped afterwards.

Building ``tables.Tables`` from the crfsuite model and the gazetteer takes seconds, and every
process that parses needs it (a one-line ``dizhi parse`` spent most of its time there). So the
tables are stored in a directory named by the hash of everything they are built from (the model
file, its fitted source terms, the gazetteer data, the modules that turn them into arrays), one
``.npy`` per array plus ``meta.json``, and later processes map the arrays
(``numpy.load(mmap_mode="c")``: copy on write, so they have the same numba type as freshly built
ones, and processes share the pages). The directory is ``NUMBA_CACHE_DIR`` when that is set (as
numba's own cache) or else the package's ``__pycache__`` (where numba keeps it); when neither is
writable the tables are only built in memory, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from address.parse.compiled.stamp import package_stamp
from address.parse.compiled.terms import source_terms_path
from address.resources import DATA_DIR, HOME_PREFIXES

_HERE = Path(__file__).resolve().parent
_PARSE = _HERE.parent  # gazetteer.py and tagger.py decide names and labels
_INPUTS = (DATA_DIR / "admin.csv.gz", _PARSE / "gazetteer.py", _PARSE / "tagger.py")
FORMAT = 1  # bump when the layout of the stored directory changes


def cache_root() -> Path:
    """Where stored tables live (see the module's docstring)."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    return Path(configured) / "dizhi-tables" if configured else _HERE / "__pycache__"


def key(model_path: str) -> str:
    """The hash of what the tables of ``model_path`` are built from."""
    sha = hashlib.sha256(f"{FORMAT}|{HOME_PREFIXES}|{package_stamp()}".encode())
    terms = source_terms_path(model_path)
    for path in (Path(model_path), *_INPUTS, *([terms] if terms.exists() else [])):
        sha.update(path.read_bytes())
    return sha.hexdigest()[:32]


def _fields(arrays: Any) -> dict[str, Any]:
    """Group.field → value over the named tuples of ``Arrays`` (one level deep)."""
    out: dict[str, Any] = {}
    for group, value in arrays._asdict().items():
        if isinstance(value, np.ndarray):
            out[group] = value
        else:
            out |= {f"{group}.{f}": v for f, v in value._asdict().items()}
    return out


def save(directory: Path, arrays: Any, extra: dict[str, Any]) -> None:
    """Write the arrays and ``extra`` (JSON) as ``directory``, atomically (a rename)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".tables-", dir=directory.parent))
    try:
        scalars: dict[str, Any] = {}
        for name, value in _fields(arrays).items():
            if isinstance(value, np.ndarray):
                np.save(work / f"{name}.npy", value)
            else:
                scalars[name] = value
        meta = {"scalars": scalars, **extra}
        (work / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        os.replace(work, directory)  # another process may have stored it meanwhile: same content
    except OSError:
        shutil.rmtree(work, ignore_errors=True)
        if not (directory / "meta.json").exists():
            raise
    _drop_older(directory, extra.get("model"))


def _drop_older(directory: Path, model: str | None) -> None:
    """Remove the tables stored before for the same model file (built from older inputs)."""
    for other in directory.parent.glob("tables-*"):
        if other == directory:
            continue
        try:
            stored = json.loads((other / "meta.json").read_text(encoding="utf-8")).get("model")
        except (OSError, ValueError):
            continue
        if stored == model:
            shutil.rmtree(other, ignore_errors=True)


def load(directory: Path, groups: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arrays stored in ``directory``, mapped, as the tuple of ``groups`` (field → named
    tuple class, None for a plain array), and the stored ``extra``."""
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    scalars = meta.pop("scalars")

    def value(name: str) -> Any:
        if name in scalars:
            return scalars[name]
        return np.asarray(np.load(directory / f"{name}.npy", mmap_mode="c"))

    out = []
    for group, cls in groups.items():
        if cls is None:
            out.append(value(group))
        else:
            out.append(cls(*(value(f"{group}.{f}") for f in cls._fields)))
    return tuple(out), meta

