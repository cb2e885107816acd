"""TileJSON 3.0.0."""

from pydantic import BaseModel


class VectorLayer(BaseModel):
    id: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]


class TileJSON(BaseModel):
    tilejson: str
    name: str
    tiles: list[str]
    minzoom: int
    maxzoom: int
    bounds: list[float]
    center: list[float]
    attribution: str = ""
    vector_layers: list[VectorLayer]
