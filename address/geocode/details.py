"""What a caller asks the forward geocoder: typed request details, built once at the edge.

The fields carry their own bounds (as Nominatim's ``SearchDetails`` do): a value out of range is
clamped when the details are made, so nothing further down has to check it again.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from address.errors import BadRequest
from address.parse.gazetteer import load

STRUCTURED_ORDER = ("prov", "city", "district", "town", "community", "village_group", "road",
                    "roadno", "poi", "houseno", "cellno", "floorno", "roomno")
MAX_LIMIT = 50


def structured_text(parts: Mapping[str, str]) -> str:
    """The structured parts joined in address order (they are parsed like free text)."""
    return "".join(parts.get(label, "") for label in STRUCTURED_ORDER)


@dataclass(frozen=True, kw_only=True)
class GeocodeRequest:
    """One forward-geocoding request: free text, or structured parts (CCKS labels)."""

    districts: tuple[str, ...]  # what the register covers (settings); the first is the default
    text: str = ""
    parts: Mapping[str, str] = field(default_factory=dict)
    town_code: str | None = None  # restrict to a town (AMap's ``city`` narrowed down)
    limit: int = field(default=5, metadata={"bounds": (1, MAX_LIMIT)})

    def __post_init__(self) -> None:
        for f in fields(self):
            if bounds := f.metadata.get("bounds"):
                low, high = bounds
                object.__setattr__(self, f.name, min(max(getattr(self, f.name), low), high))

    @property
    def query(self) -> str:
        """What is geocoded: the free text, else the structured parts joined."""
        return self.text or structured_text(self.parts)

    @property
    def free_text(self) -> bool:
        """Free text may be a complaint around an address; structured parts are the address."""
        return bool(self.text)


def town_filter(city: str | None, districts: tuple[str, ...]) -> str | None:
    """The town AMap's ``city`` parameter names (a town of the register's districts, by name,
    short name or code), None when it names no narrower area than the register (上海市, 青浦区);
    anything else is an error rather than a filter silently ignored."""
    if not city:
        return None
    gaz = load()
    city = city.strip()
    units = [gaz.units[city]] if city in gaz.units else [
        u for level in ("town", "district", "city", "prov") for u in gaz.lookup(city, level)]
    towns = [u.code for u in units if u.level == "town" and u.code.startswith(districts)]
    if len(towns) == 1:
        return towns[0]
    if any(u.level != "town" and any(d.startswith(u.code) for d in districts) for u in units):
        return None
    raise BadRequest(f"city={city!r} is not a town of the register's districts "
                     "(give its name, such as 赵巷镇, or its code)")
