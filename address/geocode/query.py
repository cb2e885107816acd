"""From the query to what the searches look at: the address inside the text, parsed and
standardized, and the district it falls in.

A query has one or two readings. The address extracted from free text is always one; the whole
text is another when it differs and names a place (a name the tagger has no label for, 城南3队,
may be a register address as written): only an exact search is tried on it, before any other.
"""

from dataclasses import dataclass

from address.geocode.details import GeocodeRequest
from address.parse.parser import ParsedAddress, parse
from address.text.extract import extract
from address.text.standard import StandardForm, standardize

_STRUCTURAL = {"town", "community", "village_group", "road", "roadno", "houseno", "cellno",
               "floorno", "roomno"}


def address_text(text: str, parsed: ParsedAddress | None = None) -> str:
    """The address inside free text (a complaint), or the text itself.

    The extracted span, carried on where the parse of the whole text (``parsed``, if the caller
    has it) shows it stopped too soon: inside a component (新园|路) or right before a structural
    one (新园路|123号).
    """
    spans = extract(text)
    if not spans:
        return text
    best = max(spans, key=lambda s: s.end - s.start)
    start, end = best.start, best.end
    for span in sorted((parsed or parse(text)).spans, key=lambda s: s.start):
        inside = span.start < end < span.end
        follows = span.start == end and span.label in _STRUCTURAL
        if inside or follows:
            end = span.end
    return text[start:end]


def query_form(query: str, *, free_text: bool = True) -> tuple[str, StandardForm, StandardForm]:
    """(address text, its form, the whole query's form), parsing each text once."""
    whole = standardize(parsed := parse(query))
    if not free_text:
        return query, whole, whole
    text = address_text(query, parsed)
    return text, whole if text == query else standardize(parse(text)), whole


@dataclass(frozen=True)
class Reading:
    """One way to read the query: an address text and its standard form."""

    text: str
    form: StandardForm
    district: str  # where its searches look: the district it names, else the default
    outside: str | None = None  # the district (or city) it names when the register lacks it


@dataclass(frozen=True)
class Readings:
    query: str
    address: Reading  # the address the text holds
    whole: Reading | None = None  # the whole text as written, when it differs and names a place

    def all(self) -> tuple[Reading, ...]:
        return (self.address,) if self.whole is None else (self.whole, self.address)


def reading_of(text: str, form: StandardForm, details: GeocodeRequest) -> Reading:
    district = form.district_code or details.districts[0]
    named = district
    city = form.codes.get("city") or form.codes.get("prov")
    if city and not district.startswith(city):  # 北京市…: a city, no district we know of
        named = city
    if named in details.districts:
        return Reading(text, form, named)
    return Reading(text, form, district, outside=named)


def read_query(details: GeocodeRequest) -> Readings:
    """The readings of the request's query (each text parsed once)."""
    query = details.query
    text, form, whole = query_form(query, free_text=details.free_text)
    address = reading_of(text, form, details)
    if text != query and whole.place:
        return Readings(query, address, reading_of(query, whole, details))
    return Readings(query, address)
