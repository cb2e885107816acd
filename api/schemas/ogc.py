"""OGC API Features Part 1 and 2 documents, named as the standard names them."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Link


class LandingPage(BaseModel):
    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    conformsTo: list[str]


class Extent(BaseModel):
    model_config = ConfigDict(extra="allow")
    spatial: dict[str, Any]


class CollectionPublic(BaseModel):
    id: str
    title: str
    description: str | None
    itemType: str = "feature"
    extent: Extent
    crs: list[str]
    storageCrs: str
    access_level: str = Field(description="extension: public, internal or restricted")
    links: list[Link]


class Collections(BaseModel):
    links: list[Link]
    crs: list[str]
    collections: list[CollectionPublic]


class Queryables(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    schema_: str = Field(alias="$schema", serialization_alias="$schema")
    type: str = "object"
    title: str
    properties: dict[str, dict[str, str]]


class FeatureCollectionPage(BaseModel):
    """GeoJSON with OGC paging: ``numberMatched``, ``numberReturned``, ``links``."""

    type: str = "FeatureCollection"
    numberMatched: int
    numberReturned: int
    links: list[Link]
    features: list[dict[str, Any]]
