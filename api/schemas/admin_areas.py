"""Admin areas (区 → 街镇 → 居委/村委 → 网格)."""

from typing import Any, ClassVar

from pydantic import Field

from api.schemas.common import Public, deprecated


class AdminAreaPublic(Public):
    code: str
    name: str
    level: str = Field(description="district, town, community or grid")
    parent_code: str | None
    synthetic: bool = Field(description="made by the sample generator, not surveyed")
    source: str
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON, when asked for")


class AdminAreaList(Public):
    count: int
    areas: list[AdminAreaPublic]


class AdminChainPublic(Public):
    """The areas covering a point, as a list and by level."""

    renamed: ClassVar[dict[str, str]] = {"chain": "admin_chain"}
    location: str = Field(description='"lng,lat" (WGS84)')
    coordsys: str = "wgs84"
    admin_chain: list[AdminAreaPublic]
    district: AdminAreaPublic | None = None
    town: AdminAreaPublic | None = None
    community: AdminAreaPublic | None = None
    grid: AdminAreaPublic | None = None
    chain: list[AdminAreaPublic] | None = deprecated("admin_chain")
