"""Self-training: unlabelled addresses labelled by a trained tagger (the teacher), kept where the
teacher is sure, as extra CCKS-style training sentences (``train --pseudo TEACHER``).

The texts are the 50,000 CCKS 2021 final-test addresses, which carry no labels (same source and
digit masking as the CCKS splits), distinct and without the labelled training texts; a text is
kept when the CRF's probability of its whole best path is at least ``min_prob``. The teacher
must itself be a tuning model (trained without the holdout) when the holdout is scored.
"""

from __future__ import annotations

from pathlib import Path

import pycrfsuite

from address.parse.corpus import Sentence
from address.parse.tagger import MAX_CHARS, char_features
from address.text.normalize import fold

FINAL_TEST = Path("/work/shared/data/eval/address_parsing/ccks2021/final_test.txt")


def unlabelled(path: Path = FINAL_TEST) -> list[str]:
    """The unlabelled addresses, folded as parse() folds them, distinct, in file order."""
    texts = (line.split("\x01", 1)[-1] for line in path.read_text(encoding="utf-8").splitlines())
    return list(dict.fromkeys(t for t in (fold(t.strip()) for t in texts) if t))


def pseudo_labelled(teacher: Path, texts: list[str], min_prob: float,
                    exclude: set[str]) -> list[Sentence]:
    """(text, the teacher's tags) for each text not in ``exclude`` the teacher is sure of."""
    tagger = pycrfsuite.Tagger()
    tagger.open(str(teacher))
    out = []
    for text in texts:
        if text in exclude or len(text) > MAX_CHARS:
            continue
        tagger.set(char_features(text))
        tags = tagger.tag()
        if tagger.probability(tags) >= min_prob:
            out.append((text, list(tags)))
    return out
