"""Watermarks in exported text and coordinates; they survive a spreadsheet (pure)."""

import csv
import io
import json

import pandas as pd
import pytest

from layers.hotline.crypto import keyring_from_secret
from layers.hotline.watermark import (
    identify,
    mark_coordinate,
    mark_feature_collection,
    mark_text,
    payload,
    strip_marks,
)

KEYRING = keyring_from_secret("watermark test")


def _csv(key_id: int, rows: int = 300) -> str:
    mark = payload(KEYRING, key_id)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["id", "description", "lng", "lat"])
    for i in range(rows):
        lng, lat = mark_coordinate(121.05 + i * 0.00137, 31.12 + i * 0.00091, mark)
        writer.writerow([i, mark_text(f"华志路{i}号门口垃圾", mark), lng, lat])
    return buf.getvalue()


def test_text_mark_is_invisible_and_names_the_key():
    text = _csv(42, rows=3)
    assert strip_marks(text).count("华志路1号门口垃圾") == 1
    assert identify(KEYRING, text) == {"key_id": 42, "found_in": "text", "marks": 3}


def test_a_mark_under_another_secret_names_no_key():
    assert identify(keyring_from_secret("other"), _csv(42, rows=3))["key_id"] is None


def test_coordinates_alone_name_the_key_after_sorting_and_dropping_rows():
    frame = pd.read_csv(io.StringIO(_csv(7)), dtype={"lng": str, "lat": str})
    frame["description"] = frame["description"].map(strip_marks)  # text cleaned
    frame = frame.sample(frac=0.9, random_state=1).sort_values("lat", ascending=False)
    found = identify(KEYRING, frame.to_csv(index=False))
    assert found == {"key_id": 7, "found_in": "coordinates", "marks": 0}


def test_mark_survives_a_spreadsheet_round_trip(tmp_path):
    pytest.importorskip("openpyxl")
    xlsx = tmp_path / "export.xlsx"
    pd.read_csv(io.StringIO(_csv(1234))).to_excel(xlsx, index=False)
    resaved = pd.read_excel(xlsx).to_csv(index=False)
    assert identify(KEYRING, resaved)["key_id"] == 1234
    cleaned = pd.read_excel(xlsx)
    cleaned["description"] = cleaned["description"].map(strip_marks)
    assert identify(KEYRING, cleaned.to_csv(index=False))["key_id"] == 1234


def test_geojson_marks_text_and_points():
    mark = payload(KEYRING, 9)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.1 + i / 997, 31.1]},
         "properties": {"description": "门口垃圾", "service_code": "sanitation"}}
        for i in range(200)]}
    text = mark_feature_collection(fc, mark, keys=["description"])
    parsed = json.loads(text)
    assert parsed["features"][0]["properties"]["service_code"] == "sanitation"
    assert identify(KEYRING, text)["key_id"] == 9
    assert identify(KEYRING, strip_marks(text))["key_id"] == 9
