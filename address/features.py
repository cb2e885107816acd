"""Per-character CRF features, kept cheap because they are the parser's hot path.

Each feature is a short string: a one-character prefix naming the template plus the folded
characters (digits → 0, so CCKS's masked digits and real house numbers look the same). A
character window of ±2, three bigrams, one trigram and the gazetteer tag of the dictionary pre-pass
give most of what a char-CRF can use; more templates cost speed for little F1.
"""

from __future__ import annotations

from address.gazetteer import scanner
from address.normalize import feature_fold

LABELS = (
    "prov", "city", "district", "devzone", "town", "community", "village_group", "road", "roadno",
    "poi", "subpoi", "houseno", "cellno", "floorno", "roomno", "assist", "distance", "intersection",
)


# (name, offsets) of the character templates, in the order char_features() emits them; the
# batch decoder (address.fastcrf) builds the same features from this table.
CHAR_TEMPLATES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("u", (0,)), ("p", (-1,)), ("n", (1,)), ("q", (-2,)), ("m", (2,)),
    ("b", (-1, 0)), ("c", (0, 1)), ("s", (-1, 1)), ("t", (-1, 0, 1)),
    # Domain copies (Daumé's feature augmentation): the two training corpora label some things
    # differently, so these copies carry the CCKS-specific part; parsing always uses them, the
    # NAACL sentences in training get their own letters (NAACL_LETTERS) instead.
    ("U", (0,)), ("B", (-1, 0)), ("C", (0, 1)), ("T", (-1, 0, 1)),
)
NAACL_LETTERS = {"U": "V", "B": "E", "C": "F", "T": "W"}
GAZ_TEMPLATES = ("g", "h")  # gazetteer tag; gazetteer tag + c0
PAD_LEFT, PAD_RIGHT = "^^", "$$"


def char_features(text: str, *, naacl: bool = False) -> list[list[str]]:
    """Feature strings for every character of ``text`` (original text; folding happens here).

    ``naacl`` is for training only: it files the domain copies under the NAACL letters.
    """
    u, b_, c_, t_ = ("V", "E", "F", "W") if naacl else ("U", "B", "C", "T")
    folded = feature_fold(text)
    gaz = scanner().tags(folded)
    padded = PAD_LEFT + folded + PAD_RIGHT
    out: list[list[str]] = []
    for i, tag in enumerate(gaz):
        a, b, c, d, e = padded[i:i + 5]
        out.append([
            "u" + c, "p" + b, "n" + d, "q" + a, "m" + e,
            "b" + b + c, "c" + c + d, "s" + b + d, "t" + b + c + d,
            "g" + tag, "h" + tag + c,
            u + c, b_ + b + c, c_ + c + d, t_ + b + c + d,
        ])
    return out
