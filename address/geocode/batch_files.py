"""Batch geocoding's files: CSV, GeoJSON and, for large batches, GeoParquet, in and out.

The input is a table with a ``text`` column (CSV, or Parquet/GeoParquet read with geopandas;
an input geometry column is dropped). The output keeps the input's columns and order and adds
the geocode fields (``batch.OUTPUT_COLUMNS``); GeoParquet gets a point geometry (missing where
no answer), typed ``lng``/``lat``/``confidence`` and the CRS EPSG:4326 for WGS84 points (none
for GCJ-02/BD-09, which have no EPSG code).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from address.errors import BadRequest
from address.geocode.batch import (
    OUTPUT_COLUMNS,
    Transform,
    output_fields,
    read_csv_texts,
    write_csv,
    write_geojson,
)
from address.geocode.results import GeocodeResult
from address.text.encoding import decode_text

if TYPE_CHECKING:
    import pandas as pd

PARQUET = (".parquet", ".geoparquet")
GEOJSON = (".geojson", ".json")


@dataclass
class BatchInput:
    """The rows of an input file; ``frame`` is set for Parquet, ``rows`` for CSV."""

    columns: list[str]
    texts: list[str]
    rows: list[dict[str, str]] | None = None
    frame: pd.DataFrame | None = None


def read_batch(path: Path) -> BatchInput:
    """The texts (and the rest of each row) of a CSV or (Geo)Parquet file."""
    if path.suffix.lower() in PARQUET:
        return _read_parquet(path)
    columns, rows = read_csv_texts(decode_text(path.read_bytes(), what=path.name).text)
    return BatchInput(columns, [row.get("text") or "" for row in rows], rows=rows)


def _read_parquet(path: Path) -> BatchInput:
    import geopandas as gpd
    import pandas as pd

    try:
        frame: pd.DataFrame = gpd.read_parquet(path)
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    except ValueError:  # plain Parquet, no geo metadata (or not Parquet at all)
        try:
            frame = pd.read_parquet(path)
        except (ValueError, OSError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise BadRequest(f"{path.name} is not a Parquet file") from exc
    if "text" not in frame.columns:
        raise BadRequest(f"the file needs a 'text' column; it has {', '.join(frame.columns)}")
    texts = ["" if t is None else str(t) for t in frame["text"].tolist()]
    return BatchInput([str(c) for c in frame.columns], texts, frame=frame.reset_index(drop=True))


def write_batch(path: Path, data: BatchInput, results: list[GeocodeResult],
                transform: Transform | None, *, wgs84: bool) -> None:
    """The output file named by ``path``'s suffix: .parquet/.geoparquet, .geojson/.json, CSV."""
    suffix = path.suffix.lower()
    if suffix in PARQUET:
        _write_parquet(path, data, results, transform, wgs84=wgs84)
        return
    rows = data.rows if data.rows is not None else _string_rows(data)
    text = (write_geojson(rows, results, transform) if suffix in GEOJSON
            else write_csv(rows, results, data.columns, transform))
    path.write_text(text, encoding="utf-8")


def _string_rows(data: BatchInput) -> list[dict[str, str]]:
    assert data.frame is not None
    return [{k: "" if v is None else str(v) for k, v in row.items()}
            for row in data.frame.to_dict("records")]


def _write_parquet(path: Path, data: BatchInput, results: list[GeocodeResult],
                   transform: Transform | None, *, wgs84: bool) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    frame = data.frame if data.frame is not None else pd.DataFrame(data.rows, columns=data.columns)
    fields = pd.DataFrame([output_fields(r.best, transform) for r in results],
                          columns=list(OUTPUT_COLUMNS))
    for name in ("lng", "lat", "confidence"):
        fields[name] = pd.to_numeric(fields[name].replace("", None), errors="coerce")
    out = pd.concat([frame.drop(columns=[c for c in OUTPUT_COLUMNS if c in frame.columns]),
                     fields], axis=1)
    out["reason"] = [r.reason for r in results]
    points: Any = shapely.points(out["lng"].to_numpy(), out["lat"].to_numpy())
    points[out["lng"].isna().to_numpy()] = None
    gpd.GeoDataFrame(out, geometry=points, crs="EPSG:4326" if wgs84 else None).to_parquet(path)
