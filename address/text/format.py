"""Canonical address text and the dedup key.

The admin part comes from the resolved codes (official names, the whole chain down to the deepest
level found), so 浦东张杨路五百号 and 上海市浦东新区张杨路500号 format the same. Below the admin
part the normalized components follow in the fixed CCKS order; assist and distance (附近, 100米) are
descriptions of a place, not part of its address, and are left out.
"""

from __future__ import annotations

import re

from address.parse.gazetteer import load
from address.parse.parser import ParsedAddress, parse

_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
_DETAIL_ORDER = ("devzone", "road", "roadno", "intersection", "poi", "subpoi", "houseno",
                 "cellno", "floorno", "roomno")
_VILLAGE_SUFFIX = re.compile(r"(村民委员会|村委会|居民委员会|居委会)$")
_KEY_STRIP = re.compile(r"[\s,，。;；:：()（）\[\]【】\"'“”‘’、.·-]")


def _admin_names(parsed: ParsedAddress) -> list[str]:
    return admin_names(parsed.codes)


def admin_names(codes: dict[str, str]) -> list[str]:
    """The official names of the codes' 省市区镇, top first (上海市 once for a municipality)."""
    gaz = load()
    names: list[str] = []
    for level in ("prov", "city", "district", "town"):
        code = codes.get(level)
        if not code or code not in gaz.units:
            continue
        if level == "city" and codes.get("prov") in _MUNICIPALITIES:
            continue  # 上海市 once, not 上海市上海市
        names.append(gaz.units[code].name)
    return names


def _community(parsed: ParsedAddress, components: dict[str, str]) -> str:
    """The 村/社区 part: official short form for a resolved 村委会, else the text as written."""
    return village_name(parsed.codes.get("community")) or components.get("community", "")


def village_name(code: str | None) -> str | None:
    """The short official name of a 村委会 (张马村村委会 → 张马村), None for anything else."""
    unit = load().units.get(code or "")
    if unit and unit.name.endswith(("村委会", "村民委员会")):
        return _VILLAGE_SUFFIX.sub("", unit.name)
    return None


def unit_name(code: str | None) -> str | None:
    """The official name of an admin code the gazetteer knows."""
    unit = load().units.get(code or "")
    return unit.name if unit else None


def format_address(parsed: ParsedAddress) -> str:
    """Standard text of a parsed address: 省市区镇 from codes, then the rest in CCKS order."""
    components = parsed.components
    parts = _admin_names(parsed)
    for level in ("prov", "city", "district", "town"):
        if level not in parsed.codes and level in components:
            parts.append(components[level])  # written but not in the gazetteer: keep it
    parts.append(_community(parsed, components))
    parts.append(components.get("village_group", ""))
    parts.extend(components.get(label, "") for label in _DETAIL_ORDER)
    return "".join(parts)


def address_key(address: str | ParsedAddress) -> str:
    """A key equal for two spellings of the same address.

    District code, then the canonical detail text with punctuation removed. The province, city
    and town names are left out of the text on purpose: the district code already pins them, and
    whether someone wrote the town is not a difference in the address.
    """
    parsed = parse(address) if isinstance(address, str) else address
    components = parsed.components
    detail = [_community(parsed, components), components.get("village_group", "")]
    detail += [components.get(label, "") for label in _DETAIL_ORDER if label != "devzone"]
    text = "".join(detail) or format_address(parsed)
    anchor = parsed.codes.get("district") or parsed.codes.get("city") or ""
    return f"{anchor}|{_KEY_STRIP.sub('', text).upper()}"
