"""From staged rows to standard forms, in one parse batch; the checks that reject a row.

Pure code but for the admin codes of the rows' points, which the caller looks up in one query.
A row is rejected (with the reason, shown to the steward with its line) when it cannot be used
or is not an address of the register's districts: bad or missing text or coordinates, a text or
point in another district, no road, place or village, or a place name with no Chinese in it
(``asdfqwer`` is tagged a POI by the parser, but it names nothing).
"""

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from address.parse.gazetteer import load
from address.parse.parser import parse_batch
from address.register.sources import SourceRow
from address.text.standard import StandardForm, standardize, with_codes

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


def _area_name(code: str) -> str:
    unit = load().units.get(code)
    return f"{unit.name} ({code})" if unit else code


def outside_reason(codes: dict[str, str], point: dict[str, str] | None,
                   districts: Sequence[str]) -> str | None:
    """Why the text's or the point's admin codes put a row outside the register's districts
    (``point``: the point's areas, None for a row without one)."""
    ours = ", ".join(districts)
    for level in ("district", "city", "prov"):
        code = codes.get(level)
        if code and not any(d.startswith(code) for d in districts):
            return f"the text names {_area_name(code)}, not a district of the register ({ours})"
    if codes.get("district") or point is None:
        return None  # the text's district wins over a point near its boundary
    where = point.get("district")
    if where not in districts:
        inside = f"in {_area_name(where)}" if where else "outside every known area"
        return f"the point is {inside}, not in the register's districts ({ours})"
    return None


def place_reason(form: StandardForm) -> str | None:
    if form.place is None:
        return "no road, place or village in the text: too coarse for a standard address"
    if not _CJK.search(form.place[1]):
        return f"not an address: {form.place[1]!r} names no road, place or village"
    return None


def parse_rows(rows: list[SourceRow], admin: dict[int, dict[str, str]],
               districts: Sequence[str], default_district: str) -> list[RowForm]:
    """Every row parsed in one batch; ``admin`` is line → the point's admin codes."""
    results = [RowForm(row, reason=row_error(row)) for row in rows]
    todo = [r for r in results if r.reason is None]
    batch = parse_batch([r.row.text for r in todo])
    for i, item in enumerate(todo):
        item.admin = admin.get(item.row.line, {})
        parsed = batch[i]
        item.named_town = parsed.codes.get("town")
        point = item.admin if item.row.x is not None else None
        item.reason = outside_reason(parsed.codes, point, districts)
        if item.reason:
            continue
        known: dict[str, str] = {k: item.admin[k] for k in ("district", "town") if k in item.admin}
        item.form = standardize(with_codes(parsed, known))
        item.district = item.form.district_code or default_district
        item.reason = place_reason(item.form)
    return results
