"""Self-training: unlabelled addresses labelled by a trained tagger (the teacher), kept where the
teacher is sure, as extra CCKS-style training sentences (``train --pseudo TEACHER``).

The texts are those ``address.training.clusters`` learns from that carry no labels (the CCKS
2021 final-test addresses and the company addresses), distinct and without the labelled
training texts; a text is kept when the CRF's probability of its whole best path is at least
``min_prob``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pycrfsuite

from address.parse.corpus import Sentence
from address.parse.tagger import char_features, cluster_features, clusters_path
from address.text.normalize import fold

SHARED = Path("/work/shared/data")


def unlabelled(data: Path = SHARED) -> list[str]:
    """The unlabelled addresses, folded as parse() folds them, distinct, in file order."""
    test = data / "eval" / "address_parsing" / "ccks2021" / "final_test.txt"
    texts = [line.split("\x01", 1)[-1] for line in
             test.read_text(encoding="utf-8").splitlines()]
    with (data / "eval" / "unlabeled" / "company_addresses.csv").open(encoding="utf-8") as f:
        texts.extend(row[0] for row in list(csv.reader(f))[1:] if row)
    return list(dict.fromkeys(t for t in (fold(t.strip()) for t in texts) if t))


def pseudo_labelled(teacher: Path, texts: list[str], min_prob: float,
                    exclude: set[str]) -> list[Sentence]:
    """(text, the teacher's tags) for each text not in ``exclude`` the teacher is sure of."""
    tagger = pycrfsuite.Tagger()
    tagger.open(str(teacher))
    clusters = cluster_features(str(clusters_path(teacher)))
    out = []
    for text in texts:
        if text in exclude or len(text) > 256:
            continue
        tagger.set(char_features(text, clusters=clusters))
        tags = tagger.tag()
        if tagger.probability(tags) >= min_prob:
            out.append((text, list(tags)))
    return out
