"""Open311 GeoReport v2 as the spec has it (``lat``/``long``, ``address``), plus extensions."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import deprecated


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class StatusChange(BaseModel):
    stage: str = Field(description="受理 派单 处置 办结 回访")
    status: str
    note: str
    changed_at: str


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
    description: str = Field(description="masked for planner and steward, the original for "
                             "hotline and admin (text_access)")
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
    stage: str = Field(description="extension: the workflow stage (受理 派单 处置 办结 回访)")
    status_history: list[StatusChange] = Field(description="extension: every stage change")
    district_code: str | None = Field(description="extension: the district (hand-over)")
    address_text: str | None = Field(description="extension: the address the text names")
    text_access: str = Field(description="extension: masked or original")
    attributes: dict[str, Any] = Field(description="extension: the service's attributes")
    first_name: str | None = Field(description="extension: masked but for hotline, admin")
    last_name: str | None = Field(description="extension")
    email: str | None = Field(description="extension")
    phone: str | None = Field(description="extension")
    level: str | None = Field(description="extension: the geocode level")
    confidence: float | None = Field(description="extension")
    gps_disagrees: bool = Field(description="extension")
    towncode: str | None = Field(description="extension: the 街镇's code")
    community_code: str | None = Field(description="extension")
    grid_code: str | None = Field(description="extension")
    coordsys: str = Field(description="extension: of lat/long")
    town_code: str | None = deprecated("towncode")


class ServiceRequestForm(BaseModel):
    """The form fields of ``POST /requests``: the spec's, plus ``coordsys`` of lat/long;
    ``attribute[code]`` fields are read apart (``api.routes.open311``)."""

    model_config = ConfigDict(extra="ignore")

    api_key: str | None = Field(None, description="the spec's key field")
    jurisdiction_id: str | None = None
    service_code: str
    description: str = Field(max_length=4000)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=500)
    address_id: str | None = Field(None, max_length=40)
    media_url: str | None = Field(None, max_length=2000)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    account_id: str | None = Field(None, max_length=100)
    coordsys: str = "wgs84"
