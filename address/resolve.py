"""Admin-code resolution: the admin spans of a parse → one consistent chain of NBS codes.

Every admin span proposes the units that carry its name (its own level first; other levels when
the tagger put it one level off, e.g. 上海 as city). Each proposal is scored by how many spans its
ancestor chain explains, then by how few it contradicts (a chain with another district than the
one written loses to a shallower chain that keeps it); ties go to the deeper unit, then to
Shanghai, then to 青浦 — the service registers Shanghai addresses, so an unqualified 浦东 or 朝阳
reads the local way first.
"""

from __future__ import annotations

from functools import cache, lru_cache

from address.gazetteer import LEVELS, Gazetteer, Unit, load

ADMIN_LABELS = frozenset(LEVELS)
RESOLVABLE = ADMIN_LABELS | {"devzone"}  # the labels resolve_codes() reads
_HOME = ("310118", "31")  # preferred prefixes on ties: 青浦区, then 上海市


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


@cache
def _chain(code: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """Codes of the unit and its ancestors, and their levels."""
    units = load().chain(code)
    return tuple(u.code for u in units), frozenset(u.level for u in units)


@lru_cache(maxsize=65536)
def _mention(label: str, text: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """Codes of the units a mention may name, and their levels."""
    units = _proposals(load(), label, text)
    return tuple(u.code for u in units), frozenset(u.level for u in units)


@lru_cache(maxsize=65536)
def _resolve(mentions: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The chain scoring best by (mentions explained, fewest contradicted, depth, home, code).

    A mention is explained when one of its units is in the chain, and contradicted when it is
    not but the chain has another unit at every level it could name (青浦区 written, the chain's
    district 嘉定区): worse than leaving it unexplained. Sets of mentions are bit masks.
    """
    proposers: dict[str, int] = {}  # code → mask of the mentions proposing it
    levels = []
    for m, (label, text) in enumerate(mentions):
        codes, mention_levels = _mention(label, text)
        for code in codes:
            proposers[code] = proposers.get(code, 0) | 1 << m
        levels.append(mention_levels)
    most, leaders = 0, []
    for code in proposers:
        mask = 0
        for c in _chain(code)[0]:
            mask |= proposers.get(c, 0)
        explained = mask.bit_count()
        if explained > most:
            most, leaders = explained, [(code, mask)]
        elif explained == most:
            leaders.append((code, mask))
    if not leaders:
        return ()
    if len(leaders) == 1:
        winner = _chain(leaders[0][0])[0]
    else:
        best = None
        for code, mask in sorted(leaders):  # equal scores: the lower code wins
            chain, chain_levels = _chain(code)
            contradicted = sum(1 for m, lv in enumerate(levels)
                               if lv and not mask >> m & 1 and lv <= chain_levels)
            score = (-contradicted, len(chain), _home_rank(code))
            if best is None or score > best:
                best, winner = score, chain
    units = load().units
    return tuple((units[c].level, c) for c in winner)


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


def unit_name(code: str) -> str:
    """Official name of a code ('' when unknown)."""
    unit = load().units.get(code)
    return unit.name if unit else ""
