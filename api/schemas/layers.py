"""The layer catalog, raster layers and data-quality runs."""

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from api.schemas.common import JobState, Public


class LayerField(Public):
    name: str
    type: str


class LayerPublic(Public):
    id: int
    name: str
    title: str
    description: str
    kind: str
    access_level: str = Field(description="public, internal or restricted")
    owner: str
    source: str
    table_name: str
    crs: str
    geometry_type: str | None
    bbox: list[float] | None
    feature_count: int
    fields: list[LayerField]
    datetime_field: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    schema_: str = Field(alias="schema", serialization_alias="schema")


class LayerList(Public):
    count: int
    layers: list[LayerPublic]


class ImportReport(Public):
    model_config = ConfigDict(extra="allow")
    format: str
    source_crs: str | None
    coordsys: str
    read: int
    stored: int
    repaired: int
    repaired_indexes: list[int]
    rejected: int
    rejected_features: list[dict[str, Any]]


class LayerVersion(Public):
    version: int
    table_name: str
    mode: str
    feature_count: int
    report: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    current: bool


class LayerVersions(Public):
    name: str
    versions: list[LayerVersion]


class LayerUploaded(Public):
    layer: LayerPublic
    report: ImportReport


class UploadJobState(JobState):
    result: LayerUploaded | None = Field(None, description="when done")


class RasterPublic(Public):
    id: int
    name: str
    title: str
    access_level: str
    owner: str
    bounds: list[float]
    minzoom: int
    maxzoom: int
    band_count: int
    dtype: str
    nodata: float | None
    stats: dict[str, Any]


class RasterList(Public):
    count: int
    rasters: list[RasterPublic]


class PointValues(Public):
    name: str
    location: str = Field(description='"lng,lat" (WGS84)')
    values: list[float | None] = Field(description="one per band; null where nodata")


class QualityScore(Public):
    score: float
    feature_count: int
    checked_at: datetime


class QualityScores(Public):
    scores: dict[str, QualityScore]


class QualityRules(Public):
    resource: str
    rules: list[dict[str, Any]]


class QualityRun(Public):
    id: int
    resource: str
    score: float
    feature_count: int
    results: list[dict[str, Any]]
    created_at: datetime


class QualityRuns(Public):
    resource: str
    runs: list[QualityRun]
