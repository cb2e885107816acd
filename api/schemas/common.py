"""What every response model shares: deprecated aliases, ``Page[T]``, GeoJSON, jobs, links."""

from datetime import datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")
RELEASE = "0.2"  # the release after which deprecated aliases go


def deprecated(new: str) -> Any:
    """A field kept one release under its old name, with the same value as ``new``."""
    return Field(None, deprecated=True,
                 description=f"Deprecated alias of `{new}` (same value); removed after {RELEASE}.")


def location_text(lng: float | None, lat: float | None) -> str | None:
    """AMap's ``"lng,lat"`` (7 decimals) of a point already in the caller's system."""
    return None if lng is None or lat is None else f"{float(lng):.7f},{float(lat):.7f}"


class Public(BaseModel):
    """A response model. ``renamed`` maps an old field name to its new one: input under either
    name fills both, so the old name stays in the response for one release."""

    model_config = ConfigDict(from_attributes=True)
    renamed: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _fill_aliases(cls, data: Any) -> Any:
        if not cls.renamed or not isinstance(data, dict):
            return data
        data = dict(data)
        for old, new in cls.renamed.items():
            if data.get(new) is None and old in data:
                data[new] = data[old]
            data[old] = data.get(new)
        return data


class FailedRowPublic(BaseModel):
    line: int = Field(description="the CSV's physical line (header = 1) or the feature's"
                      " position + 1")
    reason: str
    text: str = Field("", description="what identifies the row: its address text, its id")


class ImportReport(Public):
    """The one import report (address.report): rows read, imported, each failed row with its
    line and reason, plus the importer's own counts and facts."""

    model_config = ConfigDict(from_attributes=True, extra="allow")
    source: str = ""
    read: int
    imported: int
    failed: int
    failed_rows: list[FailedRowPublic] = Field(description="the first 200 failed rows")


class Page(BaseModel, Generic[T]):
    """One page of a longer list: ``total`` rows match, ``items`` are ``offset`` onwards."""

    total: int | None = Field(None, description="rows matching the query over all pages"
                              " (null where the list is not counted)")
    limit: int
    offset: int = 0
    items: list[T]


class Items(BaseModel, Generic[T]):
    """A short list that is not paged."""

    items: list[T]


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"] = "Feature"
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any] | None


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection (RFC 7946)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class JobAccepted(BaseModel):
    """A background job was queued: poll ``href``."""

    id: int
    status: str = Field(examples=["queued"])
    total: int | None = Field(description="units of work (rows, steps)")
    href: str


class JobState(BaseModel):
    """A background job's progress (``GET /jobs/{id}``)."""

    id: int
    kind: str
    status: str = Field(description="queued, running, done, failed or cancelled")
    total: int | None = Field(description="units of work (rows, steps)")
    done: int | None = Field(description="units committed so far")
    error: str | None = Field(description="why the job (or its last attempt) failed")
    errors: list[FailedRowPublic] = Field(
        default_factory=list, description="rows that failed, with line and reason (the first"
        " 1,000); the job goes on without them")
    error_count: int = Field(0, description="how many rows failed in all")
    attempts: int = Field(0, description="attempts so far (a killed worker's resumption is one)")
    worker: str | None = Field(None, description="host:pid of the worker of the last attempt")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None
    href: str | None = Field(None, description="this job under /jobs")
    results: dict[str, str] | None = Field(None, description="format → download URL, when done")


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class ReplicaHealth(BaseModel):
    """A read replica as ``/healthz`` sees it."""

    server: str = Field(examples=["127.0.0.1:54330/dizhi"])
    reachable: bool
    lag_s: float | None = Field(description="replay lag in seconds (null: unreachable)")
    serving: bool = Field(description="reads go to it: reachable and within "
                                      "DIZHI_DATABASE__REPLICA_MAX_LAG_S")


class Health(BaseModel):
    status: str
    database: str
    postgis: str
    schema_revision: str | None
    replicas: list[ReplicaHealth] | None = None
