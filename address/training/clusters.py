"""Character clusters learned from unlabelled addresses, for the tagger's cluster features.

    .venv/bin/python -m address.training.clusters [--out PATH]

Every folded character (``feature_fold``: digits → 0) seen at least ``--min-count`` times in the
text gets a vector of its neighbours (positive PMI of the characters at offsets -2, -1, +1, +2,
the address's ends counted as ``^`` and ``$``), reduced by a truncated SVD, and is clustered by
spherical k-means at a few granularities (``GRANULARITIES``). The tagger then reads, besides a
character itself, the clusters of it and its neighbours (see ``address.parse.tagger``): a
character rare in the labelled data shares the weights of the characters that occur where it
occurs.

The text: the 50,000 unlabelled CCKS 2021 final-test addresses, the 18,367 unlabelled company
addresses, and the texts (not the labels) of the training split — CCKS train minus the tuning
holdout, NAACL train. Never the holdout or the dev splits. The result is written as
``char<TAB>cluster…`` lines, one column per granularity; ``address.training.train`` copies it
next to the model it trains (``<model>.clusters.tsv``), which is where the tagger reads it.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, hstack
from scipy.sparse.linalg import svds

from address.parse.corpus import read_ccks, read_naacl
from address.resources import DATA_DIR
from address.text.normalize import feature_fold

SHARED = Path("/work/shared/data")
PARSING = SHARED / "eval" / "address_parsing"
OUT = DATA_DIR / "tagger.clusters.tsv"  # where address.training.train looks by default
GRANULARITIES = (32, 128, 512)
OFFSETS = (-2, -1, 1, 2)


def unlabelled_texts(data: Path = SHARED, holdout: int = 886) -> list[str]:
    """The texts clusters are learned from (see the module's docstring), folded."""
    texts = []
    test = data / "eval" / "address_parsing" / "ccks2021" / "final_test.txt"
    for line in test.read_text(encoding="utf-8").splitlines():
        texts.append(line.split("\x01", 1)[-1])
    with (data / "eval" / "unlabeled" / "company_addresses.csv").open(encoding="utf-8") as f:
        texts.extend(row[0] for row in list(csv.reader(f))[1:] if row)
    ccks = [text for text, _ in read_ccks(data / "eval" / "address_parsing" / "ccks2021"
                                          / "train.conll")]
    texts.extend(ccks[:len(ccks) - holdout])
    texts.extend(text for text, _ in read_naacl(PARSING / "naacl2019" / "train.txt"))
    return [feature_fold(t.strip()) for t in texts if t.strip()]


def context_matrix(texts: Iterable[str], min_count: int) -> tuple[list[str], csr_matrix]:
    """(vocabulary, PPMI of each character with its neighbour at each offset, side by side)."""
    texts = list(texts)
    counts = Counter(ch for t in texts for ch in t)
    vocab = sorted(ch for ch, n in counts.items() if n >= min_count and ch.isprintable())
    index = {ch: i for i, ch in enumerate(vocab)}
    contexts = {ch: i for i, ch in enumerate(["^", "$", *vocab])}
    blocks = []
    for offset in OFFSETS:
        rows, cols = [], []
        for text in texts:
            padded = "^^" + text + "$$"
            for i, ch in enumerate(text):
                row, col = index.get(ch), contexts.get(padded[i + 2 + offset])
                if row is not None and col is not None:
                    rows.append(row)
                    cols.append(col)
        ones = np.ones(len(rows))
        counts_m = coo_matrix((ones, (rows, cols)), shape=(len(vocab), len(contexts))).tocsr()
        blocks.append(_ppmi(counts_m))
    return vocab, hstack(blocks).tocsr()


def _ppmi(counts: csr_matrix, alpha: float = 0.75) -> csr_matrix:
    """Positive PMI with context-distribution smoothing (Levy et al. 2015)."""
    total = counts.sum()
    row = np.asarray(counts.sum(axis=1)).ravel() / total
    col = np.asarray(counts.sum(axis=0)).ravel() ** alpha
    col /= col.sum()
    coo = counts.tocoo()
    pmi = np.log(coo.data / total / (row[coo.row] * col[coo.col]))
    keep = pmi > 0
    return csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)


def embed(matrix: csr_matrix, dims: int) -> np.ndarray:
    """Unit-length rows of the truncated SVD U·√S."""
    u, s, _ = svds(matrix, k=dims, random_state=0)
    vectors = u * np.sqrt(s)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def spherical_kmeans(vectors: np.ndarray, k: int, *, iterations: int = 40,
                     seed: int = 0) -> np.ndarray:
    """Cluster index per row (cosine k-means, k-means++ seeding, fixed seed)."""
    rng = np.random.default_rng(seed)
    centres = [vectors[rng.integers(len(vectors))]]
    closest = 1 - vectors @ centres[0]
    for _ in range(k - 1):
        p = np.maximum(closest, 0) ** 2
        centres.append(vectors[rng.choice(len(vectors), p=p / p.sum())])
        closest = np.minimum(closest, 1 - vectors @ centres[-1])
    c = np.array(centres)
    assign = np.zeros(len(vectors), dtype=np.int64)
    for _ in range(iterations):
        assign = np.argmax(vectors @ c.T, axis=1)
        for j in range(k):
            members = vectors[assign == j]
            if len(members):
                mean = members.sum(axis=0)
                c[j] = mean / max(np.linalg.norm(mean), 1e-12)
    return assign


def build(texts: list[str], *, min_count: int = 3, dims: int = 64) -> list[tuple[str, ...]]:
    """(char, cluster at each granularity …) per character of the vocabulary."""
    vocab, matrix = context_matrix(texts, min_count)
    vectors = embed(matrix, dims)
    columns = [spherical_kmeans(vectors, k) for k in GRANULARITIES]
    return [(ch, *(str(col[i]) for col in columns)) for i, ch in enumerate(vocab)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--dims", type=int, default=64)
    args = parser.parse_args()
    texts = unlabelled_texts(args.data)
    rows = build(texts, min_count=args.min_count, dims=args.dims)
    args.out.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(texts)} texts, {len(rows)} characters → {args.out}")


if __name__ == "__main__":
    main()
