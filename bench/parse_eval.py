"""Address-parsing quality: span micro-F1 on CCKS 2021 dev and NAACL 2019 dev. Prints JSON.

    .venv/bin/python bench/parse_eval.py [--model PATH] [--split ccks-dev|naacl-dev|holdout]

Spans are exact (label, start, end) matches. CCKS is scored on all 18 labels. NAACL is scored on
the labels both schemes share (its subroad/subroadno count as road/roadno; country, person,
redundant and otherinfo are dropped from gold and predictions). ``holdout`` is the slice of CCKS
train that training leaves out, for tuning; dev splits are for reporting only.

``ccks-dev-parse`` scores what ``parse()`` returns (the compiled path, with its span rules:
snapping to gazetteer names, rooms) instead of the CRF's tags alone.

``parse()`` always labels the CCKS way. The model was trained with domain-specific feature
copies (see address.parse.tagger), so it can also label the NAACL way; ``naacl-dev-naacl-view``
scores that view on NAACL dev (same model, the NAACL copies switched on).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from address.parse import tagger
from address.parse.corpus import Sentence, read_ccks, read_naacl, spans
from address.parse.parser import use_model
from address.parse.tagger import LABELS, char_features
from address.text.normalize import fold

DATA = Path("/work/shared/data/eval/address_parsing")
NAACL_SHARED = frozenset(LABELS) - {"village_group", "distance", "intersection"}


def load_split(name: str, holdout: int = 886) -> list[Sentence]:
    if name == "ccks-dev":
        return list(read_ccks(DATA / "ccks2021" / "dev.conll"))
    if name == "naacl-dev":
        return list(read_naacl(DATA / "naacl2019" / "dev.txt"))
    return list(read_ccks(DATA / "ccks2021" / "train.conll"))[-holdout:]


def naacl_view(text: str) -> list[str]:
    """Tags from the same model with the NAACL-specific feature copies."""
    model = tagger._tagger(str(tagger.MODEL))
    model.set(char_features(text, naacl=True))
    return list(model.tag())


def parsed_tags(texts: list[str]) -> Callable[[str], list[str]]:
    """BIO tags of parse_many()'s spans, for scoring what parse() returns."""
    from address import parse_many

    tags: dict[str, list[str]] = {}
    for text, parsed in zip(texts, parse_many(texts), strict=True):
        out = ["O"] * len(text)
        for span in parsed.spans:
            out[span.start:span.end] = ["B-" + span.label] + ["I-" + span.label] * (
                span.end - span.start - 1)
        tags[text] = out
    return tags.__getitem__


def score(sentences: list[Sentence], labels: frozenset[str],
          tag: Callable[[str], list[str]] | None = None) -> dict[str, object]:
    tp: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    for text, gold_tags in sentences:
        gold = {s for s in spans(gold_tags) if s[0] in labels}
        tags = tag(text) if tag else list(tagger.tag(fold(text)))
        pred = {s for s in spans(tags) if s[0] in labels}
        for label, *_ in gold:
            n_gold[label] += 1
        for label, *_ in pred:
            n_pred[label] += 1
        for label, *_ in gold & pred:
            tp[label] += 1
    return {"micro": _prf(sum(tp.values()), sum(n_pred.values()), sum(n_gold.values())),
            "per_label": {lab: _prf(tp[lab], n_pred[lab], n_gold[lab]) | {"support": n_gold[lab]}
                          for lab in sorted(labels, key=LABELS.index) if n_gold[lab]}}


def _prf(tp: int, pred: int, gold: int) -> dict[str, float]:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p * 100, 2), "r": round(r * 100, 2), "f1": round(f * 100, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--split", action="append", default=None)
    args = parser.parse_args()
    if args.model:
        use_model(args.model)
    out = {}
    for split in args.split or ["ccks-dev", "ccks-dev-parse", "naacl-dev", "naacl-dev-naacl-view"]:
        view = split.endswith("-naacl-view")
        labels = NAACL_SHARED if split.startswith("naacl") else frozenset(LABELS)
        sentences = load_split(split.removesuffix("-naacl-view").removesuffix("-parse"))
        tag = naacl_view if view else None
        if split.endswith("-parse"):
            tag = parsed_tags([text for text, _ in sentences])
        result = score(sentences, labels, tag)
        out[split] = {"addresses": len(sentences), **result}
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
