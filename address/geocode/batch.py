"""Batch geocoding: many texts at once, in input order.

Exact hits, the bulk of a clean file, are found with one ``= ANY`` query per chunk; only the rest
go through the full pipeline one by one. Output rows keep the input order and columns and add the
geocode fields; points are WGS84 unless the caller passes a ``transform``.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from address.geocode.forward import (
    Candidate,
    GeocodeRequest,
    GeocodeResult,
    candidate_from_row,
    geocode,
    geocode_form,
    query_form,
)
from address.parse.parser import prepare
from address.text.standard import StandardForm

OUTPUT_COLUMNS = ("code", "formatted_address", "lng", "lat", "level", "match_type", "confidence",
                  "town_code", "community_code")
CHUNK = 2000
Transform = Callable[[float, float], tuple[float, float]]


def _exact_hits(
    conn: Connection, forms: list[StandardForm], district: str
) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The first address of each local key, and the keys found in more than one town (those go
    through the full pipeline, which ranks and lowers the confidence)."""
    keys = sorted({f.local_key for f in forms if f.local_key})
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT local_key, code, status, level, canonical, components,
                      ST_X(point) AS lng, ST_Y(point) AS lat, district_code, town_code,
                      community_code, grid_code
               FROM address WHERE valid_to IS NULL AND status <> 'retired' AND point IS NOT NULL
                 AND district_code = %s AND local_key = ANY(%s)
               ORDER BY local_key, code""", [district, keys]).fetchall()
    first: dict[str, dict[str, Any]] = {}
    towns: dict[str, set[str | None]] = {}
    for row in rows:
        first.setdefault(row["local_key"], dict(row))
        towns.setdefault(row["local_key"], set()).add(row["town_code"])
    return first, {key for key, found in towns.items() if len(found) > 1}


def geocode_texts(
    conn: Connection, texts: Sequence[str], *, districts: tuple[str, ...] = ("310118",),
    progress: Callable[[int], None] | None = None,
) -> list[GeocodeResult]:
    results: list[GeocodeResult] = []
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start:start + CHUNK]
        prepare(chunk)  # one parse batch for the chunk; query_form's parse() calls hit it
        prepared = [query_form(t) for t in chunk]
        queries = [text for text, _, _ in prepared]
        forms = [form for _, form, _ in prepared]
        in_register = [(f.district_code or districts[0]) == districts[0] for f in forms]
        hits, unsure = _exact_hits(
            conn, [f for f, ok in zip(forms, in_register, strict=True) if ok], districts[0])
        for text, query, form, ok in zip(chunk, queries, forms, in_register, strict=True):
            row = hits.get(form.local_key) if ok else None
            if row is None or form.local_key in unsure:
                req = GeocodeRequest(text=text, districts=districts)
                if query != text:  # the whole text may be a name the register knows as written
                    results.append(geocode(conn, req))
                else:
                    results.append(geocode_form(conn, req, text, query, form))
                continue
            best = candidate_from_row(row, "exact", 1.0)
            results.append(GeocodeResult(text, query, form.components, best, [best]))
        if progress:
            progress(len(results))
    return results


def _fields(best: Candidate | None, transform: Transform | None) -> dict[str, Any]:
    if best is None:
        return dict.fromkeys(OUTPUT_COLUMNS, "")
    lng, lat = transform(best.lng, best.lat) if transform else (best.lng, best.lat)
    return {"code": best.code or "", "formatted_address": best.formatted_address,
            "lng": f"{lng:.7f}", "lat": f"{lat:.7f}", "level": best.level,
            "match_type": best.match_type, "confidence": best.confidence,
            "town_code": best.towncode or "", "community_code": best.community_code or ""}


def write_csv(rows: Iterable[dict[str, str]], results: list[GeocodeResult],
              columns: list[str], transform: Transform | None = None) -> str:
    out = io.StringIO()
    extra = [c for c in OUTPUT_COLUMNS if c not in columns]
    writer = csv.DictWriter(out, fieldnames=[*columns, *extra], extrasaction="ignore")
    writer.writeheader()
    for row, result in zip(rows, results, strict=True):
        writer.writerow({**row, **_fields(result.best, transform)})
    return out.getvalue()


def write_geojson(rows: Iterable[dict[str, str]], results: list[GeocodeResult],
                  transform: Transform | None = None) -> str:
    features = []
    for row, result in zip(rows, results, strict=True):
        fields = _fields(result.best, transform)
        geometry = None if result.best is None else {
            "type": "Point", "coordinates": [float(fields["lng"]), float(fields["lat"])]}
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {**row, **fields, "reason": result.reason}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def read_csv_texts(data: str) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of an input CSV, which must have a ``text`` column."""
    from address.errors import BadRequest

    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    columns = list(reader.fieldnames or [])
    if "text" not in columns:
        raise BadRequest(f"the CSV needs a 'text' column; it has {', '.join(columns) or 'none'}")
    return columns, list(reader)
