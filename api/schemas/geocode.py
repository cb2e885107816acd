"""Geocoding: forward, reverse, suggest, batch (field names as in AMap's web API)."""

from typing import Any, ClassVar

from pydantic import Field

from api.schemas.addresses import ADDRESS_RENAMES, AdminCodes
from api.schemas.common import JobState, Public, deprecated


class CandidatePublic(AdminCodes):
    formatted_address: str
    location: str = Field(description='"lng,lat" in the requested coordsys')
    level: str = Field(description="门牌, 楼栋, 道路, 村庄, 社区, 乡镇, 区县 …")
    match_type: str = Field(description="exact, fuzzy, interpolated or fallback")
    confidence: float = Field(ge=0, le=1)
    code: str | None = Field(None, description="the standard address's code")
    components: dict[str, str] = Field(default_factory=dict)
    status: str = "active"
    warnings: list[str] = Field(default_factory=list,
                                description="where the answer departs from the text")


class GeocodePublic(Public):
    status: str = Field(description='"1" with a best match, "0" without (as AMap)')
    query: str
    address_text: str = Field(description="the address part of the text")
    components: dict[str, str]
    reason: str | None = Field(None, description="why nothing matched")
    warnings: list[str] = Field(default_factory=list, description="the best answer's warnings")
    best: CandidatePublic | None
    candidates: list[CandidatePublic]
    coordsys: str


class ReverseAddress(AdminCodes):
    renamed: ClassVar[dict[str, str]] = ADDRESS_RENAMES
    code: str
    formatted_address: str
    level: str | None
    components: dict[str, Any]
    distance_m: float
    location: str = Field(description='"lng,lat" in the requested coordsys')
    canonical: str | None = deprecated("formatted_address")
    district_code: str | None = deprecated("adcode")
    town_code: str | None = deprecated("towncode")


class ChainLink(Public):
    code: str
    name: str
    level: str


class NearestRoad(Public):
    code: str
    name: str
    distance_m: float


class ReversePublic(AdminCodes):
    addresses: list[ReverseAddress] = Field(description="nearest first, within the radius")
    admin_chain: list[ChainLink]
    road: NearestRoad | None
    coordsys: str


class SuggestionPublic(Public):
    renamed: ClassVar[dict[str, str]] = {"text": "formatted_address"}
    formatted_address: str = Field(description="the standard text of the address or place name")
    kind: str = Field(description="a place kind (road, poi, village, community …), an admin "
                      "level (district, town, community) or address")
    code: str
    level: str
    location: str | None = Field(description='"lng,lat" in the requested coordsys')
    matched_by: str = Field(description="name, pinyin, initials, contains, address or typo")
    text: str | None = deprecated("formatted_address")


class SuggestPublic(Public):
    q: str
    suggestions: list[SuggestionPublic]


class BatchJobState(JobState):
    """A batch geocoding job (``/geocode/batch/{id}``, the same as ``/jobs/{id}``)."""
