"""match: are two address strings the same place? 完全匹配 / 部分匹配 / 不匹配 with a score.

Both sides are parsed; the pair becomes a small vector of agreement features (per component:
equal, conflicting, or only on one side; character-bigram overlap of the whole text and of the
POI). A multinomial logistic regression over those features, fitted on CCKS 2021 round-2 train by
``python -m address.training.train_match``, gives the label; its weights ship in
``address/data/match_weights.json``. Without that file a hand-set rule is used. On top, the
definitions cap the class (see _ceiling): different admin codes never match, and differing door
or room numbers are at most a partial match.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache

from address.parse.parser import ParsedAddress, parse
from address.resources import DATA_DIR
from address.text.format import address_key
from address.text.normalize import normalize

WEIGHTS = DATA_DIR / "match_weights.json"
LABELS = ("不匹配", "部分匹配", "完全匹配")
_GROUPS = ("district", "town", "community", "road", "roadno", "poi", "subpoi", "houseno", "cellno",
           "floorno", "roomno")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """``label`` is the most likely class; ``score`` its probability in [0, 1]."""

    label: str
    score: float


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def _overlap(a: str, b: str) -> tuple[float, float, float]:
    """Jaccard, and containment of a in b and b in a, over character bigrams."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0, 0.0, 0.0
    common = len(x & y)
    return common / len(x | y), common / len(x), common / len(y)


def _value(label: str, components: dict[str, str], codes: dict[str, str]) -> str:
    """What to compare for a label: the code for admin levels (浦东 = 浦东新区), else the text."""
    return codes.get(label) or components.get(label, "")


def _component_features(a: ParsedAddress, b: ParsedAddress) -> list[float]:
    """Per label: equal (or one contains the other), conflicting, present on one side only."""
    ca, cb = a.components, b.components
    out: list[float] = []
    for label in _GROUPS:
        x, y = _value(label, ca, a.codes), _value(label, cb, b.codes)
        same = bool(x and y) and (x == y or x in y or y in x)
        out += [float(same), float(bool(x and y) and not same), float(bool(x) != bool(y))]
    return out


def features(a: ParsedAddress, b: ParsedAddress) -> list[float]:
    """The agreement vector the classifier reads (first entry is the bias)."""
    ta, tb = normalize(a.text), normalize(b.text)
    ca, cb = a.components, b.components
    poi_a = ca.get("poi", "") + ca.get("subpoi", "")
    poi_b = cb.get("poi", "") + cb.get("subpoi", "")
    same_key = address_key(a) == address_key(b)
    return [1.0, float(ta == tb), *_overlap(ta, tb), *_overlap(poi_a, poi_b),
            *_component_features(a, b), float(same_key)]


@cache
def _weights() -> list[list[float]] | None:
    if not WEIGHTS.exists():
        return None
    data = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    return [list(map(float, row)) for row in data["weights"]]


def _fallback(x: list[float]) -> list[float]:
    """Without fitted weights: bigram overlap decides, a conflicting number caps it at partial."""
    jaccard, same_key = x[2], x[-1]
    # Layout of features(): bias, equal, 3 text overlaps, 3 POI overlaps, then 3 per group.
    conflict = any(x[8 + 3 * i + 1] for i in range(3, len(_GROUPS)))
    if same_key or (jaccard > 0.6 and not conflict):
        return [0.1, 0.2, 0.7]
    return [0.2, 0.6, 0.2] if jaccard > 0.2 else [0.7, 0.2, 0.1]


def probabilities(x: list[float]) -> list[float]:
    """Class probabilities in LABELS order."""
    weights = _weights()
    if weights is None or len(weights[0]) != len(x):
        return _fallback(x)
    logits = [sum(w * v for w, v in zip(row, x, strict=True)) for row in weights]
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    total = sum(exp)
    return [v / total for v in exp]


_NUMBERS = ("roadno", "village_group", "houseno", "cellno", "floorno", "roomno")


def _ceiling(a: ParsedAddress, b: ParsedAddress) -> int:
    """Highest class the definitions allow, whatever the classifier says.

    Different admin codes at the same level: not the same place. A door, building, unit or room
    number that differs or is given on one side only: at most a partial match (the CCKS pairs
    are mostly POI look-ups, so the fitted model leans on names and under-weights numbers).
    """
    for level in ("district", "town", "community"):
        x, y = a.codes.get(level), b.codes.get(level)
        if x and y and x != y:
            return 0
    ca, cb = a.components, b.components
    for label in _NUMBERS:
        if ca.get(label, "") != cb.get(label, ""):
            return 1
    return 2


def match(a: str | ParsedAddress, b: str | ParsedAddress) -> MatchResult:
    """Compare two addresses (text or already parsed)."""
    pa = parse(a) if isinstance(a, str) else a
    pb = parse(b) if isinstance(b, str) else b
    probs = probabilities(features(pa, pb))
    allowed = probs[:_ceiling(pa, pb) + 1]
    best = max(range(len(allowed)), key=allowed.__getitem__)
    return MatchResult(LABELS[best], round(probs[best] / sum(allowed), 4))
