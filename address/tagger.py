"""The character tagger: a CRF model shipped in ``address/data/tagger.crfsuite``.

One ``pycrfsuite.Tagger`` per process is opened lazily and reused; ``set()`` + ``tag()`` avoids
re-wrapping the sequence twice. A small LRU cache in front pays off on real traffic, where the
same address strings repeat (batch imports, hotline repeats).
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

import pycrfsuite

from address.features import char_features

MODEL = Path(__file__).parent / "data" / "tagger.crfsuite"
MAX_CHARS = 256  # longer inputs are tagged in windows of this size (see tag())


@cache
def _tagger(path: str = str(MODEL)) -> pycrfsuite.Tagger:
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return tagger


def use_model(path: Path) -> None:
    """Point the process at another model file (training experiments, benchmarks)."""
    global MODEL
    MODEL = path
    _tagger.cache_clear()
    tag.cache_clear()


def _tag_window(text: str) -> list[str]:
    tagger = _tagger(str(MODEL))
    tagger.set(char_features(text))
    return list(tagger.tag())


@lru_cache(maxsize=4096)
def tag(text: str) -> tuple[str, ...]:
    """BIO tags for every character of ``text``; empty text gives no tags.

    Addresses are short; a very long input (a pasted document) is cut into windows so cost stays
    linear and the CRF never sees a sequence far outside its training distribution.
    """
    out: list[str] = []
    for start in range(0, len(text), MAX_CHARS):
        out.extend(_tag_window(text[start:start + MAX_CHARS]))
    return tuple(out)
