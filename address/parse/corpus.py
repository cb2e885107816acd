"""Readers for the labelled address corpora (CCKS 2021 CoNLL, NAACL 2019) as (text, BIO tags).

The tagger is trained on BIO tags, not the corpora's BIOES: half the label count makes Viterbi
about four times cheaper and BIO → BIOES is lossless for well-formed spans.
NAACL labels are mapped onto the CCKS set (subroad → road, subroadno → roadno); its country,
person, redundant and otherinfo have no CCKS counterpart and become O.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

Sentence = tuple[str, list[str]]

NAACL_MAP = {"subroad": "road", "subroadno": "roadno", "country": "", "person": "",
             "redundant": "", "otherinfo": ""}  # keys lower-cased: the files say subRoad, devZone


def to_bio(tags: list[str]) -> list[str]:
    """BIOES (or BIO) → BIO."""
    out = []
    for tag in tags:
        if tag == "O" or "-" not in tag:
            out.append("O")
            continue
        prefix, label = tag.split("-", 1)
        out.append(("B-" if prefix in ("B", "S") else "I-") + label)
    return out


def read_ccks(path: Path) -> Iterator[Sentence]:
    """CCKS 2021: one ``char TAG`` per line, blank line between addresses."""
    chars: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if chars:
                yield "".join(chars), to_bio(tags)
            chars, tags = [], []
            continue
        ch, _, tag = line.rpartition(" ")
        chars.append(ch[:1] or " ")
        tags.append(tag)
    if chars:
        yield "".join(chars), to_bio(tags)


def _naacl_tag(tag: str, first: bool) -> str:
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, label = tag.split("-", 1)
    label = NAACL_MAP.get(label.lower(), label.lower())
    if not label:
        return "O"
    return ("B-" if prefix == "B" and first else "I-") + label


def read_naacl(path: Path) -> Iterator[Sentence]:
    """NAACL 2019: ``token TAG`` per line (tokens may be several characters), BIO tags."""
    chars: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if chars:
                yield "".join(chars), tags
            chars, tags = [], []
            continue
        token, _, tag = line.rpartition(" ")
        for k, ch in enumerate(token or " "):
            chars.append(ch)
            tags.append(_naacl_tag(tag, k == 0))
    if chars:
        yield "".join(chars), tags


def spans(tags: list[str]) -> list[tuple[str, int, int]]:
    """(label, start, end) spans from BIO tags; a stray I- starts a span.

    Written to compare whole tag strings (the hot path of every parse): a tag equal to the open
    span's I- tag continues it, anything else closes it.
    """
    out: list[tuple[str, int, int]] = []
    label, start, inside = "", 0, ""
    for i, tag in enumerate(tags):
        if tag == inside:
            continue
        if label:
            out.append((label, start, i))
            label, inside = "", ""
        if tag != "O":
            label, start = tag[2:], i
            inside = "I-" + label
    if label:
        out.append((label, start, len(tags)))
    return out


def to_bioes(tags: list[str]) -> list[str]:
    """BIO → BIOES, the CCKS output format."""
    out = ["O"] * len(tags)
    for label, start, end in spans(tags):
        if end - start == 1:
            out[start] = "S-" + label
            continue
        out[start] = "B-" + label
        for k in range(start + 1, end - 1):
            out[k] = "I-" + label
        out[end - 1] = "E-" + label
    return out
