"""Open311 GeoReport v2 as the spec has it (``lat``/``long``, ``address``), plus extensions."""

from pydantic import BaseModel, Field

from api.schemas.common import deprecated


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ServiceRequestCreated(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class ServiceRequest(BaseModel):
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str
    service_code: str
    description: str = Field(description="the masked text")
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None
    level: str | None = Field(description="extension: the geocode level")
    confidence: float | None = Field(description="extension")
    gps_disagrees: bool = Field(description="extension")
    towncode: str | None = Field(description="extension: the 街镇's code")
    community_code: str | None = Field(description="extension")
    grid_code: str | None = Field(description="extension")
    coordsys: str = Field(description="extension: of lat/long")
    town_code: str | None = deprecated("towncode")
