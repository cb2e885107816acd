"""The sample district the tests run on, and a geocoding request over it."""

from typing import Any

from address.geocode.details import GeocodeRequest

QINGPU = ("310118",)  # what the sample register covers


def geocode_request(**fields: Any) -> GeocodeRequest:
    """A forward-geocoding request over the sample district."""
    return GeocodeRequest(districts=QINGPU, **fields)
