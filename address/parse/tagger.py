"""The character tagger: features and the CRF model shipped in ``address/data/tagger.crfsuite``.

Features are the parser's hot path, so each one is a short string: a one-character prefix naming
the template plus the folded characters (digits → 0, so CCKS's masked digits and real house
numbers look the same). A ±2 character window, three bigrams, one trigram, the gazetteer tag of
the dictionary pre-pass, and CCKS-specific copies of four templates: the two training corpora
label some things differently (Daumé's feature augmentation: parsing uses the CCKS copies U/B/C/T,
NAACL sentences are trained with their own copies V/E/F/W).

One ``pycrfsuite.Tagger`` per process is opened lazily and reused (``set()`` + ``tag()``), with an
LRU cache in front. This is the reference path (training, ``parse_reference``, bench/parse_eval);
parsing itself runs the same model compiled (address.parse.compiled).
"""

from __future__ import annotations

import threading
from functools import cache, lru_cache
from pathlib import Path

import pycrfsuite

from address.parse.gazetteer import scanner
from address.resources import DATA_DIR
from address.text.normalize import feature_fold

LABELS = (
    "prov", "city", "district", "devzone", "town", "community", "village_group", "road", "roadno",
    "poi", "subpoi", "houseno", "cellno", "floorno", "roomno", "assist", "distance", "intersection",
)


PAD_LEFT, PAD_RIGHT = "^^", "$$"


def char_features(text: str, *, naacl: bool = False) -> list[list[str]]:
    """Feature strings for every character of ``text`` (original text; folding happens here).

    ``naacl`` (training, and the NAACL view in bench/parse_eval.py) files the domain copies
    under the NAACL letters. One comprehension over five shifted views of the padded text is the
    fastest form measured; caching feature lists per 5-character window was slower.
    """
    u, b_, c_, t_ = ("V", "E", "F", "W") if naacl else ("U", "B", "C", "T")
    folded = feature_fold(text)
    gaz = scanner().tags(folded)
    padded = PAD_LEFT + folded + PAD_RIGHT
    return [
        ["u" + c, "p" + b, "n" + d, "q" + a, "m" + e,
         "b" + b + c, "c" + c + d, "s" + b + d, "t" + b + c + d,
         "g" + g, "h" + g + c,
         u + c, b_ + b + c, c_ + c + d, t_ + b + c + d]
        for a, b, c, d, e, g in zip(
            padded, padded[1:], padded[2:], padded[3:], padded[4:], gaz, strict=False
        )  # the shifted views run past the text; gaz has exactly one tag per character
    ]


MODEL = DATA_DIR / "tagger.crfsuite"
MAX_CHARS = 256  # longer inputs are tagged in windows of this size (see tag())


@cache
def _tagger(path: str = str(MODEL)) -> pycrfsuite.Tagger:
    tagger = pycrfsuite.Tagger()
    tagger.open(path)
    return tagger


def use_model(path: Path) -> None:
    """Point the tagger at another model file; ``address.parse.parser.use_model`` also drops
    the parses made with the model before."""
    global MODEL
    MODEL = path
    _tagger.cache_clear()
    tag.cache_clear()


# A Tagger holds the sequence between set() and tag(); API worker threads share the one Tagger,
# so the pair runs under a lock (it is ~0.1 ms, and a Tagger per thread would copy the model).
_LOCK = threading.Lock()


def _tag_window(text: str) -> list[str]:
    features = char_features(text)
    with _LOCK:
        tagger = _tagger(str(MODEL))
        tagger.set(features)
        return list(tagger.tag())


@lru_cache(maxsize=65536)
def tag(text: str) -> tuple[str, ...]:
    """BIO tags for every character of ``text``; empty text gives no tags.

    Addresses are short; a very long input (a pasted document) is cut into windows so cost stays
    linear and the CRF never sees a sequence far outside its training distribution.
    """
    out: list[str] = []
    for start in range(0, len(text), MAX_CHARS):
        out.extend(_tag_window(text[start:start + MAX_CHARS]))
    return tuple(out)


def _window_marginals(text: str) -> list[float]:
    features = char_features(text)
    with _LOCK:
        tagger = _tagger(str(MODEL))
        tagger.set(features)
        return [tagger.marginal(label, i) for i, label in enumerate(tagger.tag())]


@lru_cache(maxsize=4096)
def marginals(text: str) -> tuple[float, ...]:
    """For every character of ``text``, the CRF's marginal probability of the tag it chose
    (windows as in :func:`tag`): how sure the model is of each character's reading."""
    out: list[float] = []
    for start in range(0, len(text), MAX_CHARS):
        out.extend(_window_marginals(text[start:start + MAX_CHARS]))
    return tuple(out)
