"""The forward geocoder's searches, one class each (see ``base.AbstractSearch``)."""

from address.geocode.searches.base import AbstractSearch
from address.geocode.searches.by_code import (
    NearestCodeSearch,
    PlaceCodeSearch,
    PlaceLookup,
    SwappedDoorSearch,
)
from address.geocode.searches.exact import ChunkKeys, ExactSearch, KeyRows, RowsByKey
from address.geocode.searches.fallback import AreaSearch, InterpolatedSearch, PlaceFallbackSearch

__all__ = ["AbstractSearch", "AreaSearch", "ChunkKeys", "ExactSearch", "InterpolatedSearch",
           "KeyRows", "NearestCodeSearch", "PlaceCodeSearch", "PlaceFallbackSearch",
           "PlaceLookup", "RowsByKey", "SwappedDoorSearch"]
