"""Whether an answer contradicts itself, and whether it agrees with the text it answers.

An answer contradicts itself when its ``formatted_address`` or ``components`` name a town, or a
village or community of the admin areas, that its own codes (``towncode``, ``community_code``)
do not: ``上海市青浦区朱家角镇张联村`` with the towncode of 练塘镇. The geocoder builds every answer
from one register row or one area so that this never happens; ``contradictions`` is the check
(the tests and ``bench/geocode_sample.py`` run it over every answer).

An answer disagrees with its text when the text names a town or village and the answer lies in
another (``disagreements``): it may still be the best the register has (a door on a road that
crosses a town line), but it says so in ``warnings`` and its confidence drops.
"""

from dataclasses import dataclass, field, replace

from psycopg import Connection

from address.geocode.results import Candidate
from address.geocode.sql import admin_names
from address.text.format import unit_name

TOWN_DISAGREES = 0.25  # the answer is in another town than the text names
COMMUNITY_DISAGREES = 0.15  # … in another village or community
_COMMITTEE = ("村委会", "居委会")


def short_name(name: str) -> str:
    """A community's name as addresses write it (张马村村委会 → 张马村)."""
    for suffix in _COMMITTEE:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


@dataclass
class AreaNames:
    """The names of the towns and communities of the admin areas, by code and by name."""

    names: dict[str, str] = field(default_factory=dict)  # code → name
    towns: dict[str, set[str]] = field(default_factory=dict)  # name → codes
    communities: dict[str, set[str]] = field(default_factory=dict)  # short name → codes

    @classmethod
    def load(cls, conn: Connection) -> "AreaNames":
        areas = cls()
        for code, name, level in admin_names(conn):
            areas.names[code] = name
            index = areas.towns if level == "town" else areas.communities
            index.setdefault(short_name(name), set()).add(code)
        return areas


def contradictions(c: Candidate, areas: AreaNames) -> list[str]:
    """What the answer's text names that its own codes contradict (empty when consistent)."""
    found = [f"names the town {name}, towncode {c.towncode} is {areas.names.get(c.towncode or '')}"
             for name, codes in areas.towns.items()
             if name in c.formatted_address and c.towncode not in codes]
    named = c.components.get("community", "")
    if named in areas.communities and c.community_code not in areas.communities[named]:
        found.append(f"names {named}, community_code {c.community_code} is "
                     f"{areas.names.get(c.community_code or '')}")
    return found


def _name(code: str) -> str:
    return short_name(unit_name(code) or code)


def disagreements(c: Candidate, *, town: str | None, community: str | None) -> Candidate:
    """The candidate with a warning and a higher penalty when it is not in the town or the
    community the text names (their codes)."""
    warnings, penalty = list(c.warnings), c.penalty
    if town and c.towncode != town:
        warnings.append(f"the text names {_name(town)}; the answer is in "
                        f"{_name(c.towncode) if c.towncode else 'no town of the register'}")
        penalty += TOWN_DISAGREES
    elif community and c.community_code != community:
        warnings.append(f"the text names {_name(community)}; the answer is in "
                        f"{_name(c.community_code) if c.community_code else 'another area'}")
        penalty += COMMUNITY_DISAGREES
    if penalty == c.penalty:
        return c
    return replace(c, penalty=penalty, warnings=tuple(warnings))
