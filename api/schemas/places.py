"""Managed roads and places, pending addresses, address imports."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Public


class PlacePublic(Public):
    code: str = Field(description="the place segment of its addresses' codes (12 digits)")
    kind: str = Field(description="road, poi, village, community or devzone")
    name: str
    district_code: str
    town_code: str
    status: str = Field(description="active, merged or retired")
    aliases: list[str] = Field(description="old names (renames, merged places)")
    merged_into: str | None
    version: int
    address_count: int
    location: str | None = Field(None, description="lng,lat of its middle door (WGS84)")


class PlaceVersion(BaseModel):
    version: int
    action: str = Field(description="create, rename, merge, absorb or retire")
    name: str
    aliases: list[str]
    status: str
    detail: dict[str, Any]
    key_id: int | None
    at: datetime


class PlaceDetail(PlacePublic):
    history: list[PlaceVersion]


class PlaceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field("road", description="road, poi, village, community or devzone")
    town_code: str | None = Field(None, max_length=20)
    district_code: str | None = Field(None, max_length=20,
                                      description="default: the register's first district")


class PlaceRename(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class PlaceMerge(BaseModel):
    into: str = Field(min_length=1, max_length=20, description="the code of the place kept")


class PendingPublic(Public):
    id: int
    import_id: int | None
    source: str
    line_no: int | None
    raw_text: str
    reason: str
    place_kind: str
    place_name: str
    similar_to: str | None = Field(description="the known name it may be a typo of")
    district_code: str
    lng: float | None
    lat: float | None
    status: str = Field(description="open, approved or rejected")
    address_code: str | None
    reviewer: str | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None


class PendingDecision(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=10000)
    note: str = Field("", max_length=2000)


class RejectedRow(BaseModel):
    line: int
    reason: str
    text: str


class ImportReportPublic(BaseModel):
    """What an import did: rows read, their outcomes, conflicts by kind, rejected rows."""

    id: int
    source: str
    filename: str
    status: str = Field(description="running or done (failed: see job)")
    rows: int
    created: int
    matched: int
    pending: int
    rejected: int
    conflicts: dict[str, int]
    errors: list[RejectedRow] = Field(description="rejected rows, line and reason (first 1000)")
    created_at: datetime
    finished_at: datetime | None
    job: dict[str, Any] | None = Field(None, description="the job running it: status, done")


class ImportAccepted(BaseModel):
    id: int = Field(description="the import's id")
    job_id: int
    status: str
    total: int
    href: str
