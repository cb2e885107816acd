"""The register's place (road, compound, village …) a query names, found by name, pinyin or one
edit; and how a place reads in an answer."""

from dataclasses import dataclass
from typing import Any

from psycopg import Connection

from address.geocode.sql import place_by_name, place_rows
from address.text.coding import name_grams, pinyin_forms
from address.text.standard import Segment, StandardForm, same_address

PLACE_LEVEL = {"road": "道路", "poi": "兴趣点", "village": "村庄", "community": "社区",
               "devzone": "开发区"}
_PLACE_LABEL = {"road": "road", "poi": "poi", "village": "community", "community": "community",
                "devzone": "devzone"}
MIN_EDITED_NAME = 4  # one edit in 天一路 is another road (横一路), not a typo
_SEGMENT_LABEL = {"door": "roadno", "building": "houseno", "unit": "cellno", "room": "roomno"}


@dataclass(frozen=True)
class PlaceMatch:
    code: str
    kind: str
    name: str
    exact: bool  # the name as written (not a homophone, an edit or a shorter name)
    lng: float | None
    lat: float | None
    town_code: str
    address_count: int = 0


def resolve_place(conn: Connection, form: StandardForm, district: str,
                  edits: bool = True) -> PlaceMatch | None:
    """The register's place for the form's: same name, same pinyin (a homophone typo such as
    华芝路 for 华志路), or — with ``edits``, for queries, not imports — one edit away, or a name
    the written one ends with (chatter the tagger took into the name: 来电反映明珠路)."""
    if form.place is None:
        return None
    kind, name = form.place
    exact = place_by_name(conn, district=district, kind=kind, name=name)
    if exact is not None:  # the name as written is always acceptable, and ranks first below
        return _place_match(exact, kind, name)
    pinyin, _ = pinyin_forms(name)
    rows = place_rows(conn, district=district, kind=kind, name=name, pinyin=pinyin,
                      grams=name_grams(name))

    def acceptable(row: dict[str, Any]) -> bool:
        if row["name"] == name:
            return True
        if edits and not _may_stand_for(form, row):
            return False
        if row["pinyin"] == pinyin:
            return True
        if not edits:
            return False
        typo = {**place_components(kind, row["name"]), **segment_components(form.segments)}
        return name.endswith(row["name"]) or (len(name) >= MIN_EDITED_NAME
                                              and same_address(form, typo))

    best = next((row for row in rows if acceptable(row)), None)
    return None if best is None else _place_match(best, kind, name)


def _place_match(row: dict[str, Any], kind: str, written: str) -> PlaceMatch:
    return PlaceMatch(row["code"], kind, row["name"], row["name"] == written, row["lng"],
                      row["lat"], row["town_code"], row["address_count"])


def _may_stand_for(form: StandardForm, row: dict[str, Any]) -> bool:
    """Whether another name may stand for the written one: not when the text names a town the
    place is not in, nor when the written village is a real one (张马村 is not 张联村)."""
    town = form.codes.get("town")
    if town and row["town_code"] and row["town_code"] != town:
        return False
    return not (form.place is not None and form.place[0] == "village"
                and form.codes.get("community"))


def place_warnings(form: StandardForm, place: PlaceMatch) -> tuple[str, ...]:
    """What an answer through a place says when the place is not the one written."""
    if place.exact or form.place is None:
        return ()
    return (f"{form.place[1]} is not in the register; the answer is on {place.name}",)


def place_components(kind: str, name: str) -> dict[str, str]:
    return {_PLACE_LABEL[kind]: name}


def segment_components(segments: list[Segment]) -> dict[str, str]:
    return {_SEGMENT_LABEL[s.kind]: s.text for s in segments}
