"""What Python reads of the kernels' answers, without numba: ``Batch`` (the spans of a list
of texts as arrays), where each span of each text lies (``occurrences``), and the fixed pieces
of a JSON record (``PIECES``, which ``jsonl.write`` puts between the values)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Batch(NamedTuple):
    """The kernel's answer for a list of texts: spans as arrays, one resolved unit per text."""

    first: np.ndarray  # spans of text i are rows first[i]:last[i]
    last: np.ndarray
    labels: np.ndarray  # index into tagger.LABELS
    starts: np.ndarray
    ends: np.ndarray
    units: np.ndarray  # index into Tables.unit_codes; -1 none, -2 left to resolve.py


# The fixed pieces of a JSON record (jsonl.write), after the labels in the words it takes.
PIECES = ('{"text": "', '", "components": {', ', ', '": "', '}, "codes": ', ', "spans": [',
          '{"label": "', '", "start": ', ', "end": ', ', "text": "', '"}', ']}\n')


def occurrences(spans: Batch, at_text: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row of each span of each text in turn, and where it starts and ends in the joined
    texts (texts equal after folding share rows, so a row can serve several texts)."""
    counts = spans.last - spans.first
    text_of = np.repeat(np.arange(len(counts)), counts)
    before = np.cumsum(counts) - counts  # occurrences before text i
    row = np.arange(int(counts.sum())) - np.repeat(before - spans.first, counts)
    base = at_text[text_of]
    return row, base + spans.starts[row], base + spans.ends[row]
