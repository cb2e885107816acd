"""From staged rows to standard forms, in one parse batch; the checks that reject a row.

Pure code but for the admin codes of the rows' points, which the caller looks up in one query.
A row is rejected (with the reason, shown to the steward with its line) when it cannot be used
or is not an address of the register's districts: bad or missing text or coordinates, a text or
point in another district, no road, place or village, or a place name with no Chinese in it
(``asdfqwer`` is tagged a POI by the parser, but it names nothing).
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from address.parse.gazetteer import load
from address.parse.parser import ParsedAddress, parse_batch
from address.register.sources import SourceRow
from address.text.standard import StandardForm, standardize, with_codes, written_codes

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class RowForm:
    """A staged row, parsed: its standard form, district and admin codes, or why it is rejected."""

    row: SourceRow
    form: StandardForm | None = None
    district: str = ""
    named_town: str | None = None  # the town the text names (not the point's)
    admin: dict[str, str] = field(default_factory=dict)  # the point's areas
    reason: str | None = None


def row_error(row: SourceRow) -> str | None:
    """Why a row cannot be read at all (before parsing), or None."""
    if row.error:
        return row.error
    if not row.text.strip():
        return "empty address text"
    if (row.x is None) != (row.y is None):
        return "only one of lng/lat is given"
    if row.x is not None and row.y is not None and not (
        math.isfinite(row.x) and math.isfinite(row.y) and -180 <= row.x <= 180
        and -90 <= row.y <= 90
    ):
        return f"coordinates out of range: {row.x},{row.y}"
    return None


@lru_cache(maxsize=4096)
def _area_name(code: str) -> str:
    unit = load().units.get(code)
    return f"{unit.name} ({code})" if unit else code


def outside_reason(codes: dict[str, str], point: dict[str, str] | None,
                   districts: Sequence[str]) -> str | None:
    """Why the text's or the point's admin codes put a row outside the register's districts
    (``point``: the point's areas, None for a row without one)."""
    for level in ("district", "city", "prov"):
        code = codes.get(level)
        if code and not any(d.startswith(code) for d in districts):
            return (f"the text names {_area_name(code)}, not a district of the register"
                    f" ({', '.join(districts)})")
    if codes.get("district") or point is None:
        return None  # the text's district wins over a point near its boundary
    where = point.get("district")
    if where not in districts:
        inside = f"in {_area_name(where)}" if where else "outside every known area"
        return (f"the point is {inside}, not in the register's districts"
                f" ({', '.join(districts)})")
    return None


def place_reason(form: StandardForm) -> str | None:
    if form.place is None:
        return "no road, place or village in the text: too coarse for a standard address"
    if not _CJK.search(form.place[1]):
        return f"not an address: {form.place[1]!r} names no road, place or village"
    return None


_Parsed = tuple[StandardForm | None, str, str | None, str | None]  # form, district, town, reason
TextKey = tuple[str, bool, str | None, str | None]  # text, has a point, point's district, town
Reader = Callable[[list[TextKey], Sequence[str], str], list[_Parsed]]


def _read(parsed: ParsedAddress, key: TextKey, districts: Sequence[str],
          default_district: str) -> _Parsed:
    """One text's form, district, named town and reason to reject, given its point's areas."""
    _, located, *areas = key
    admin = {level: code for level, code in zip(("district", "town"), areas, strict=True)
             if code is not None}
    named = written_codes(parsed)  # not a district or town the parser inferred from a road
    named_town = named.get("town")
    reason = outside_reason(named, admin if located else None, districts)
    if reason:
        return None, "", named_town, reason
    form = standardize(with_codes(parsed, admin))
    return form, form.district_code or default_district, named_town, place_reason(form)


def read_texts(keys: list[TextKey], districts: Sequence[str],
               default_district: str) -> list[_Parsed]:
    """Each (text, point's areas) read: every text parsed once, in one batch. Pure code, so it
    may run in another process (see :mod:`address.register.imports.run`)."""
    texts = list(dict.fromkeys(key[0] for key in keys))
    batch = parse_batch(texts)
    index = {text: i for i, text in enumerate(texts)}
    return [_read(batch[index[key[0]]], key, districts, default_district) for key in keys]


class RecentReads:
    """A reader that remembers the previous chunk's readings: keys that come back chunk after
    chunk (a source lists the same address many times) are read once. Bounded: a key the
    last chunk did not ask for is forgotten."""

    def __init__(self, read: Reader = read_texts) -> None:
        self._read = read
        self._recent: dict[TextKey, _Parsed] = {}

    def __call__(self, keys: list[TextKey], districts: Sequence[str],
                 default_district: str) -> list[_Parsed]:
        todo = [key for key in keys if key not in self._recent]
        fresh = dict(zip(todo, self._read(todo, districts, default_district), strict=True))
        found = [fresh[key] if key in fresh else self._recent[key] for key in keys]
        self._recent = dict(zip(keys, found, strict=True))
        return found


def parse_rows(rows: list[SourceRow], admin: dict[int, dict[str, str]],
               districts: Sequence[str], default_district: str,
               reader: Reader = read_texts) -> list[RowForm]:
    """Every row parsed in one batch; ``admin`` is line → the point's admin codes.

    A text is parsed once however many rows give it, and read once per district and town of
    the points (all a form depends on): the rows that share both share one form (immutable)."""
    results = [RowForm(row, reason=row_error(row)) for row in rows]
    todo = [r for r in results if r.reason is None]
    keys: dict[TextKey, int] = {}
    rows_keys = []
    for item in todo:
        item.admin = admin.get(item.row.line, {})
        key = (item.row.text, item.row.x is not None, item.admin.get("district"),
               item.admin.get("town"))
        rows_keys.append(keys.setdefault(key, len(keys)))
    read = reader(list(keys), districts, default_district)
    for item, k in zip(todo, rows_keys, strict=True):
        item.form, item.district, item.named_town, item.reason = read[k]
    return results
