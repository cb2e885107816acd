"""The district's roads and the towns they run in (address/data/roads.csv, made from the
register's sample source by ``python -m data.generate.roads data/sample``).

A road alone says where it is when it runs in one town of the district only: 华志路559号 is in
华新镇, 青浦区. :func:`town_of` answers that for the resolver; :func:`is_road` tells the admin
chain rule a road from a name that merely starts with a place's (徐泾|崧泽大道).
"""

from __future__ import annotations

import csv
from functools import cache

from address.resources import DATA_DIR

DATA = DATA_DIR / "roads.csv"


@cache
def towns() -> dict[str, tuple[str, ...]]:
    """Road name → the town codes it runs in (empty before the file is made)."""
    if not DATA.exists():
        return {}
    out: dict[str, list[str]] = {}
    with DATA.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["name"], []).append(row["town_code"])
    return {name: tuple(codes) for name, codes in out.items()}


def is_road(name: str) -> bool:
    return name in towns()


def town_of(name: str, within: str = "") -> str | None:
    """The one town of the road ``name`` inside the division ``within`` (a code prefix), or
    None when there is no such road there or it runs in several towns."""
    found = [code for code in towns().get(name, ()) if code.startswith(within)]
    return found[0] if len(found) == 1 else None


@cache
def areas() -> frozenset[str]:
    """The codes a road's town lies in (its district, city, province) and the towns."""
    return frozenset(code[:n] for codes in towns().values() for code in codes
                     for n in (2, 4, 6, 9))
