"""parse: address text → labelled spans (offsets into the original text) and admin codes.

Pipeline: fold the text 1:1 (so offsets survive; door, unit, floor and room numbers written in
Chinese numerals read as digits), tag characters with the CRF, turn BIO tags into spans (symbols
and emoji trimmed off their ends), then resolve the admin spans against the gazetteer to NBS
codes, filling the levels above the deepest one found (朱家角镇 alone gives 青浦区, 上海市).

:func:`parse_reference` states that pipeline in plain Python over python-crfsuite. What
:func:`parse`, :func:`parse_many` and :func:`parse_batch` run is the same pipeline compiled
(address.parse.compiled), checked equal to the reference in the tests and on every benchmark
run.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from address.parse import rules, tagger
from address.parse.codes import admin_mentions, parse_fold, unit_codes
from address.parse.corpus import spans as bio_spans
from address.parse.gazetteer import all_names, load, scanner
from address.parse.resolve import resolve_codes
from address.parse.tagger import LABELS, tag
from address.text.normalize import is_symbol, normalize

if TYPE_CHECKING:
    from address.parse.compiled.run import Batch, Tables  # numba loads only when parsing starts

MAX_INPUT = 2000  # characters; beyond this the text is not an address and is cut


class Span(NamedTuple):
    """A labelled piece of the input: ``text == source[start:end]`` of the original string.

    A named tuple: batches make hundreds of thousands of them, and a tuple is the cheapest
    immutable record to make."""

    label: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class ParsedAddress:
    """The result of :func:`parse`; ``codes`` maps prov/city/district/town/community → NBS code."""

    text: str
    spans: list[Span] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)

    @cached_property
    def components(self) -> dict[str, str]:
        """label → normalized text; a label that occurs twice has its pieces joined in order.
        Computed once (standardizing reads it several times); do not change the dict."""
        out: dict[str, str] = {}
        for span in self.spans:
            out[span.label] = out.get(span.label, "") + normalize(span.text)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI and the API return this)."""
        return {
            "text": self.text,
            "components": self.components,
            "codes": dict(self.codes),
            "spans": [s.to_dict() for s in self.spans],
        }


# CCKS 2021 has no roomno at all (rooms were masked out of the data), so in the CCKS view the
# model leaves 201室 untagged, and it leaves 2单元501室 untagged after 3幢 as well: an untagged
# rest after a building/floor/unit part that reads as unit, floor and room (each optional, the
# room with a digit) is those parts.
_UNIT_PARTS = re.compile(r"(?P<cellno>[0-9A-Za-z]+单元)?(?P<floorno>[0-9A-Za-z]+[层楼])?"
                         r"(?P<roomno>[0-9A-Za-z][-0-9A-Za-z]*(?:室|房|号房)?)?")
_ROOM_AFTER = frozenset({"houseno", "cellno", "floorno", "roadno", "poi", "subpoi"})


def _with_units(text: str, folded: str, spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for i, span in enumerate(spans):
        out.append(span)
        if span.label not in _ROOM_AFTER:
            continue
        gap_end = spans[i + 1].start if i + 1 < len(spans) else len(text)
        m = _UNIT_PARTS.fullmatch(folded, span.end, gap_end) if gap_end > span.end else None
        if m and (m["roomno"] is None or any(ch.isdigit() for ch in m["roomno"])):
            out += [Span(label, start, end, text[start:end])
                    for label in ("cellno", "floorno", "roomno")
                    for start, end in [m.span(label)] if start >= 0]
    return out


def _trimmed(folded: str, start: int, end: int) -> tuple[int, int]:
    """Symbols and emoji (★, 😀, ™) are no part of a name or a number: off a span's ends."""
    while start < end and is_symbol(folded[start]):
        start += 1
    while end > start and is_symbol(folded[end - 1]):
        end -= 1
    return start, end


_SNAP_LABELS = ("prov", "city", "district", "town")


def _known(text: str) -> bool:
    return text in all_names()


def _snap_admin(text: str, folded: str, spans: list[Span]) -> list[Span]:
    """Move a boundary the tagger put inside a gazetteer name: 上|海陕西南路 → 上海|陕西南路.

    Only for an admin span whose text is no known name and whose gazetteer hit ends inside the
    next span; a rare path, so the dictionary pass is repeated here rather than threaded through.
    """
    out = list(spans)
    tags: list[str] | None = None
    for i in range(len(out) - 1):
        span, nxt = out[i], out[i + 1]
        if span.label not in _SNAP_LABELS or _known(folded[span.start:span.end]):
            continue
        tags = tags or scanner().tags(folded)
        end = span.start + 1
        while end < len(tags) and tags[end].startswith("I"):
            end += 1
        if tags[span.start].startswith("B") and span.end < end < nxt.end and nxt.start == span.end:
            out[i] = Span(span.label, span.start, end, text[span.start:end])
            out[i + 1] = Span(nxt.label, end, nxt.end, text[end:nxt.end])
    return out


def _spans_from_tags(text: str, folded: str, tags: list[str]) -> list[Span]:
    out = []
    for label, begin, finish in bio_spans(tags):
        start, end = _trimmed(folded, begin, finish)
        piece = text[start:end]
        if piece.strip():
            out.append(Span(label, start, end, piece))
    return _with_units(text, folded, _snap_admin(text, folded, out)) if out else out


def tag_spans(text: str) -> list[Span]:
    """CRF spans of ``text`` with offsets into ``text``; blank spans are dropped."""
    folded = parse_fold(text)
    return _spans_from_tags(text, folded, list(tag(folded)))


def parse_reference(text: str) -> ParsedAddress:
    """:func:`parse` as plain Python over python-crfsuite: the statement of what the compiled
    path (address.parse.compiled) computes, kept for testing it and for reading."""
    if not isinstance(text, str):
        raise TypeError("parse() takes a str")
    text = text[:MAX_INPUT]
    folded = parse_fold(text)
    spans = _spans_from_tags(text, folded, list(tag(folded)))
    codes = resolve_codes(admin_mentions(folded, [(s.label, s.start, s.end) for s in spans]))
    done = rules.apply(folded, [(LABELS.index(s.label), s.start, s.end) for s in spans], codes,
                       _chain_of)
    if done is not None:
        spans = [Span(LABELS[label], start, end, text[start:end]) for label, start, end in done[0]]
        codes = _chain_of(done[1])
    return ParsedAddress(text, spans, codes)


def _chain_of(code: str) -> dict[str, str]:
    return {unit.level: unit.code for unit in load().chain(code)}


def parse(text: str) -> ParsedAddress:
    """Parse one address. Never raises on odd input: empty or garbage text gives no spans.

    Results are cached by text (real traffic repeats: batch imports, hotline repeats; see also
    :func:`prepare`); each call still returns its own objects.
    """
    if not isinstance(text, str):
        raise TypeError("parse() takes a str")
    text = text[:MAX_INPUT]
    found = _CACHE.get(text)
    if found is None:
        found = _parse_one(text)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[text] = found
    rows, codes = found
    return ParsedAddress(text, [Span(LABELS[label], start, end, text[start:end])
                                for label, start, end in rows], dict(codes))


_CACHE: dict[str, tuple[tuple[tuple[int, int, int], ...], tuple[tuple[str, str], ...]]] = {}
_CACHE_SIZE = 65536


def _parse_one(text: str) -> tuple[tuple[tuple[int, int, int], ...], tuple[tuple[str, str], ...]]:
    """One text straight through the kernel (parse_batch's bookkeeping is for many)."""
    from address.parse.compiled.run import run, tables

    model = str(tagger.MODEL)
    batch = run([text], model)
    rows = tuple(zip(batch.labels.tolist(), batch.starts.tolist(), batch.ends.tolist(),
                     strict=True))
    tb = tables(model)
    rows, unit = rules.one(text, rows, int(batch.units[0]), tb)
    codes = unit_codes(unit, text, rows, tb)
    return rows, tuple(codes.items())


def prepare(texts: Iterable[str]) -> None:
    """Parse ``texts`` in one batch into the cache :func:`parse` reads, so code that goes on
    to call ``parse()`` text by text (batch geocoding) gets the batch's speed."""
    todo = [t for t in dict.fromkeys(t[:MAX_INPUT] for t in texts) if t not in _CACHE]
    if len(_CACHE) + len(todo) > _CACHE_SIZE:
        _CACHE.clear()  # simpler than LRU order, and a full cache is rare between batches
    batch = parse_batch(todo)
    for i, text in enumerate(todo):
        _CACHE[text] = tuple(batch.rows(i)), tuple(batch.codes(i).items())


def clear_cache() -> None:
    _CACHE.clear()


def use_model(path: Path) -> None:
    """Parse with another model file (training experiments, benchmarks)."""
    tagger.use_model(path)
    clear_cache()  # parse()'s results came from the model before


class ParsedBatch(Sequence[ParsedAddress]):
    """Many parses as arrays: spans per text (label, start, end) and the resolved unit per text.

    Everything is computed when the batch is made; ``batch[i]`` only wraps text i's rows in a
    :class:`ParsedAddress`. Bulk consumers can read ``rows(i)`` and ``codes(i)`` instead.
    """

    def __init__(self, texts: list[str], spans: Batch, tb: Tables) -> None:
        self.texts = texts
        self._spans = spans
        self._tables = tb
        self._first = spans.first.tolist()
        self._last = spans.last.tolist()
        self._rows: list[tuple[int, int, int]] | None = None  # made on the first access
        self._units = spans.units.tolist()

    def __len__(self) -> int:
        return len(self.texts)

    @overload
    def __getitem__(self, i: int) -> ParsedAddress: ...
    @overload
    def __getitem__(self, i: slice) -> list[ParsedAddress]: ...

    def __getitem__(self, i: int | slice) -> ParsedAddress | list[ParsedAddress]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        text = self.texts[i]
        spans = [Span(LABELS[label], start, end, text[start:end])
                 for label, start, end in self.rows(i)]
        return ParsedAddress(text, spans, dict(self.codes(i)))

    @property
    def spans(self) -> Batch:
        """The kernel's arrays (address.parse.jsonl writes from them)."""
        return self._spans

    def rows(self, i: int) -> list[tuple[int, int, int]]:
        """(label index into tagger.LABELS, start, end) of text i's spans."""
        if self._rows is None:
            b = self._spans
            self._rows = list(zip(b.labels.tolist(), b.starts.tolist(), b.ends.tolist(),
                                  strict=True))
        return self._rows[self._first[i]:self._last[i]]

    def codes(self, i: int) -> dict[str, str]:
        """level → admin code of text i (shared between texts: do not change it)."""
        unit = self._units[i]
        rows = self.rows(i) if unit == -2 else []
        return unit_codes(unit, self.texts[i], rows, self._tables)


def parse_batch(texts: Iterable[str]) -> ParsedBatch:
    """Parse many addresses in one pass of compiled code (address.parse.compiled); results
    equal :func:`parse_reference`'s."""
    from address.parse.compiled.run import run, tables

    items = list(texts)
    try:
        if max(map(len, items), default=0) > MAX_INPUT:
            items = [t[:MAX_INPUT] for t in items]
        model = str(tagger.MODEL)
        spans = run(items, model)  # joins the texts: anything but str raises TypeError
    except TypeError:
        if all(isinstance(t, str) for t in items):
            raise  # not the caller's texts
        raise TypeError("parse_batch() takes strings") from None
    tb = tables(model)
    return ParsedBatch(items, rules.batch(items, spans, tb), tb)


def parse_many(texts: Iterable[str]) -> list[ParsedAddress]:
    """``[parse(t) for t in texts]``, in one batch."""
    batch = parse_batch(texts)
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of acyclic objects: collection passes only cost time
    try:
        return list(batch)
    finally:
        if collecting:
            gc.enable()
