"""Admin-code resolution: the admin spans of a parse → one consistent chain of NBS codes.

Every admin span proposes the units that carry its name (its own level first; other levels when
the tagger put it one level off, e.g. 上海 as city). Each proposal is scored by how many spans its
ancestor chain explains, then by how few it contradicts (a chain with another district than the
one written loses to a shallower chain that keeps it); ties go to the deeper unit, then to
Shanghai, then to 青浦 — the service registers Shanghai addresses, so an unqualified 浦东 or 朝阳
reads the local way first. A text that names no town but a road of the district's road
gazetteer running in one town gets that town (``town_by_road``, which the parser's rules call).
"""

from __future__ import annotations

from functools import lru_cache

from address.parse.gazetteer import LEVELS, Gazetteer, Unit, load
from address.parse.roads import town_of
from address.resources import HOME_PREFIXES

ADMIN_LABELS = frozenset(LEVELS)
RESOLVABLE = ADMIN_LABELS | {"devzone"}  # the labels resolve_codes() reads
_HOME = HOME_PREFIXES  # preferred prefixes on ties: 青浦区, then 上海市


def _proposals(gaz: Gazetteer, label: str, text: str) -> tuple[Unit, ...]:
    found = gaz.lookup(text, label)
    if found:
        return found
    for level in LEVELS:
        if level != label:
            found += gaz.lookup(text, level)
    return found


def _home_rank(code: str) -> int:
    return next((len(_HOME) - i for i, prefix in enumerate(_HOME) if code.startswith(prefix)), 0)


def _contradicted(proposal: tuple[Unit, ...], by_level: dict[str, str]) -> bool:
    """The chain puts another unit at every level this mention could name (青浦区 written, the
    chain's district 嘉定区): worse than leaving a mention unexplained."""
    return bool(proposal) and all(
        by_level.get(u.level) not in (None, u.code) for u in proposal)


@lru_cache(maxsize=8192)
def _resolve(mentions: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    gaz = load()
    units_of = [_proposals(gaz, label, text) for label, text in mentions]
    proposals = [{u.code for u in units} for units in units_of]
    best: tuple[int, int, int, int] | None = None
    chain: list[Unit] = []
    for code in set().union(*proposals) if proposals else ():
        units = gaz.chain(code)
        ancestry = {u.code for u in units}
        explained = sum(1 for p in proposals if p & ancestry)
        by_level = {u.level: u.code for u in units}
        contradicted = sum(1 for p in units_of if _contradicted(p, by_level))
        score = (explained, -contradicted, len(units), _home_rank(code))
        if best is None or score > best or (score == best and code < chain[-1].code):
            best, chain = score, units
    return tuple((u.level, u.code) for u in chain)


def _devzone_place(text: str) -> tuple[str, str] | None:
    """青浦工业园区 → ("district", "青浦"): a development zone is named after its district/city."""
    gaz = load()
    for size in (4, 3, 2):
        for level in ("district", "city"):
            if gaz.lookup(text[:size], level):
                return level, text[:size]
    return None


def resolve_codes(mentions: list[tuple[str, str]]) -> dict[str, str]:
    """level → code for the best chain explaining ``mentions`` ((label, normalized text) pairs)."""
    admin = tuple((label, text) for label, text in mentions if label in ADMIN_LABELS)
    if not any(label in ("district", "city") for label, _ in admin):
        zones = [_devzone_place(text) for label, text in mentions if label == "devzone"]
        admin += tuple(z for z in zones if z)
    return dict(_resolve(admin)) if admin else {}


def town_by_road(codes: dict[str, str], roads: list[str], elsewhere: bool) -> str | None:
    """The town a road of the district's gazetteer (address.parse.roads) gives a text whose
    ``codes`` (resolved) name no town: the road's one town inside them (华志路559号 → 华新镇).
    ``roads``: the text's road names; ``elsewhere``: the text labels admin places or zones."""
    if "town" in codes:
        return None
    within = next((codes[level] for level in reversed(LEVELS) if level in codes), "")
    if not within and elsewhere:
        return None  # 南市区永华南路: a place this gazetteer does not know, not this district
    return next((town for road in roads if (town := town_of(road, within)) is not None), None)


def unit_name(code: str) -> str:
    """Official name of a code ('' when unknown)."""
    unit = load().units.get(code)
    return unit.name if unit else ""
