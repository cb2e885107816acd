"""Hand-over: which district (or, outside Shanghai, which city) a complaint's address is in when
the register does not cover it, so it goes to that district's 12345 sub-centre.

The text's own admin names come first (上海市黄浦区…, 浦东张江镇…, 江苏省昆山市…: the parser's
all-China gazetteer). A text that names only a road gets the district the road is in, from a table
of real Shanghai addresses (``data/shanghai_roads.csv``, built by ``layers.hotline.roads_build``);
a road in several districts goes to the one most addresses put it in, and a tie to nobody (manual
dispatch), never to a guess.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path

from address.geocode.query import query_form
from address.loading import load_once
from address.parse import gazetteer

ROADS = Path(__file__).resolve().parent / "data" / "shanghai_roads.csv"
SHANGHAI = "31"
_MUNICIPALITY_CITY = "市辖区"  # the NBS city level of 北京 天津 上海 重庆: the province is the city


@load_once
def road_districts() -> dict[str, str]:
    """Road name → the Shanghai district most addresses put it in (ties left out)."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    with ROADS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            counts[row["road"]][row["district_code"]] = int(row["count"])
    out = {}
    for road, by_district in counts.items():
        ranked = sorted(by_district.values(), reverse=True)
        if len(ranked) == 1 or ranked[0] > ranked[1]:
            out[road] = max(by_district, key=lambda d: by_district[d])
    return out


@cache
def _roads_longest_first() -> tuple[str, ...]:
    return tuple(sorted(road_districts(), key=len, reverse=True))


def district_of_roads(text: str) -> str | None:
    """The district of the longest known Shanghai road the text names (None without one)."""
    table = road_districts()
    for road in _roads_longest_first():
        if road in text:
            return table[road]
    return None


_NAMING = ("prov", "city", "district", "town")


def named_chain(text: str, *, explicit: bool = False) -> dict[str, str]:
    """District and town the text names (松江区九亭镇…), else the district of its road. With
    ``explicit``, codes the parser only inferred from a community name (a bare 新村 is a
    community somewhere) do not count."""
    _, form, whole = query_form(text)
    codes = form.codes or whole.codes
    if explicit and not any(k in form.components or k in whole.components for k in _NAMING):
        codes = {}
    chain = {lv: codes[lv] for lv in ("district", "town") if codes.get(lv)}
    if "district" in chain:
        return chain
    above = codes.get("city") or codes.get("prov") or ""
    if above and not above.startswith(SHANGHAI):
        return {"city": above}  # 苏州市某路: no district, but the city it goes to
    district = district_of_roads(text)
    return {"district": district} if district else {}


def admin_names(codes: list[str]) -> dict[str, str]:
    """Names of admin codes from the all-China gazetteer (for codes the database lacks)."""
    units = gazetteer.load().units
    return {c: units[c].name for c in codes if c in units}


def city_of(code: str) -> tuple[str, str] | None:
    """(code, name) of the prefecture-level city a district/town code is in; the municipality
    itself for 北京 天津 上海 重庆."""
    chain = gazetteer.load().chain(code)
    city = next((u for u in chain if u.level == "city"), None)
    if city is None:
        return None
    if city.name == _MUNICIPALITY_CITY:
        prov = next(u for u in chain if u.level == "prov")
        return prov.code, prov.name
    return city.code, city.name
