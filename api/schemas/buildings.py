"""The fused buildings, their lineage, review queue, address links and height rasters."""

from datetime import datetime
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from api.schemas.common import Public, deprecated


class BuildingSummary(Public):
    model_config = ConfigDict(extra="allow")
    id: int
    match_kind: str | None
    unmatched: bool | None = None
    sources: list[str]
    floors: int | None
    height_m: float | None
    ground_m: float | None
    height_source: str | None
    area_m2: float | None
    use: str | None


class BuildingAddress(Public):
    renamed: ClassVar[dict[str, str]] = {"address": "formatted_address"}
    code: str
    formatted_address: str | None
    method: str
    distance_m: float | None
    location: str | None = Field(None, description='"lng,lat" (WGS84)')
    address: str | None = deprecated("formatted_address")
    lng: float | None = deprecated("location")
    lat: float | None = deprecated("location")


class BuildingPublic(BuildingSummary):
    attributes: dict[str, Any] | None
    quality: dict[str, Any] | None
    updated_at: datetime | None
    geometry: dict[str, Any] | None
    addresses: list[BuildingAddress]


class LineageRow(Public):
    model_config = ConfigDict(extra="allow")
    source: str
    source_id: str
    role: str | None
    match_kind: str | None
    scores: dict[str, Any] | None
    run_id: int | None
    run_at: datetime | None
    attributes: dict[str, Any] | None
    imported_at: datetime | None


class Lineage(Public):
    building_id: int
    sources: list[LineageRow]


class ReviewPublic(Public):
    id: int
    kind: str
    status: str = Field(description="open, merged, separate or superseded")
    component_key: str
    source_row_ids: list[int]
    detail: dict[str, Any]
    reviewer: str | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None
    geometry: dict[str, Any] | None = None


class ConflationCounts(Public):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    one_to_one: int = Field(0, alias="1:1")
    one_to_many: int = Field(0, alias="1:n")
    many_to_one: int = Field(0, alias="n:1")
    unmatched: int = 0
    buildings: int
    inserted: int
    deleted: int
    unchanged: int
    review: int
    review_opened: int
    run_id: int | None


class AddressLinkConflict(Public):
    renamed: ClassVar[dict[str, str]] = {"address": "formatted_address"}
    address_code: str
    formatted_address: str | None
    building_id: int | None
    method: str
    distance_m: float | None
    candidates: Any
    address: str | None = deprecated("formatted_address")


