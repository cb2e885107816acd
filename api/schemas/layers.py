"""The layer catalog, raster layers and data-quality runs."""

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from api.schemas.common import ImportReport, JobState, Public, deprecated


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


class LayerImportReport(ImportReport):
    """What a layer upload read and stored (the one import report, plus the file's facts)."""

    renamed: ClassVar[dict[str, str]] = {"stored": "imported", "rejected": "failed"}
    format: str
    source_crs: str | None
    coordsys: str
    repaired: int = 0
    repaired_lines: list[int] = Field(default_factory=list,
                                      description="rows whose geometry was made valid")
    stored: int | None = deprecated("imported")
    rejected: int | None = deprecated("failed")


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
    report: LayerImportReport


class UploadJobState(JobState):
    result: LayerUploaded | None = Field(None, description="when done")


class RasterPublic(Public):
    """A raster of the one catalog (spatial.rasters): uploaded layers and the DSM/DEM tiles."""

    renamed: ClassVar[dict[str, str]] = {"bbox": "bounds"}
    id: int
    name: str
    title: str
    kind: str = Field(description="dsm, dem or other")
    access_level: str
    owner: str
    crs: str
    width: int
    height: int
    resolution: float
    nodata: float | None
    synthetic: bool
    source: str
    bounds: list[float] = Field(description="west, south, east, north (WGS84)")
    bbox: list[float] | None = deprecated("bounds")
    minzoom: int | None
    maxzoom: int | None
    band_count: int | None
    dtype: str | None
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
