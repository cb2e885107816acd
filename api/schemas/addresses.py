"""Standard addresses of the register, their versions and raw source records."""

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from api.schemas.common import Public, deprecated

ADDRESS_RENAMES = {"canonical": "formatted_address", "district_code": "adcode",
                   "town_code": "towncode"}


class AdminCodes(Public):
    """The admin chain of a point as codes, AMap's names where AMap has them."""

    adcode: str | None = Field(None, description="the 区/县's 6-digit code", examples=["310118"])
    towncode: str | None = Field(None, description="the 街镇's 9-digit code",
                                 examples=["310118002"])
    community_code: str | None = Field(None, description="the 居委/村委's code")
    grid_code: str | None = Field(None, description="the 网格's code")


class AddressVersion(AdminCodes):
    """One version of a standard address."""

    renamed: ClassVar[dict[str, str]] = ADDRESS_RENAMES
    code: str = Field(examples=["31011810001220416"])
    version: int
    status: str = Field(description="active, pending or retired")
    level: str | None = Field(None, description="门牌, 楼栋, 道路, 村庄 …")
    formatted_address: str = Field(description="the standard text",
                                   examples=["上海市青浦区明珠路416弄"])
    address_key: str | None = None
    local_key: str | None = None
    components: dict[str, Any] = Field(description="CCKS labels → text")
    tags: dict[str, Any] = Field(default_factory=dict)
    place_code: str | None = None
    location: str | None = Field(None, description='"lng,lat" (WGS84)')
    building_id: int | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    canonical: str | None = deprecated("formatted_address")
    district_code: str | None = deprecated("adcode")
    town_code: str | None = deprecated("towncode")


class AddressAlias(Public):
    text: str = Field(description="the spelling as given")
    normalized: str = Field(description="its key (what the geocoder matches)")
    created_at: datetime | None = None


class AddressPublic(AddressVersion):
    """The current version of an address with every version, newest first, and its aliases."""

    history: list[AddressVersion]
    aliases: list[AddressAlias] = Field(default_factory=list)


class SourceRecord(Public):
    id: int
    source: str
    line_no: int | None
    raw_text: str | None
    raw: dict[str, Any] | None
    raw_coordsys: str | None
    match_score: float | None
    location: str | None = Field(None, description='"lng,lat" (WGS84)')
    created_at: datetime


class AddressSources(Public):
    code: str
    records: list[SourceRecord]
