"""Batch geocoding: many texts at once, in input order, through the same pipeline as one.

Each chunk is parsed in one batch and the rows its exact searches need are fetched with one query
(``ChunkKeys``); every text then goes through ``forward.geocode`` as a single request would, so a
row's answer is the one ``GET /geocode`` gives for its text. Output rows keep the input order and
columns and add the geocode fields; points are WGS84 unless the caller passes a ``transform``.

``geocode_batch`` runs the same on an engine (``address.engine``): row ranges of ``PART_ROWS``
(whole chunks) go to the workers, each geocodes its range on its own connection and sends back
only what the output files need (``lean``), and the ranges are joined in order.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from psycopg import Connection

from address.engine import Engine, Worker, row_ranges
from address.geocode.details import GeocodeRequest
from address.geocode.forward import geocode
from address.geocode.memo import BatchMemo, batch_memo, new_memo
from address.geocode.query import read_query
from address.geocode.results import Candidate, GeocodeResult
from address.geocode.searches.by_code import prefetch_code_rows
from address.geocode.searches.exact import ChunkKeys, exact_readings
from address.parse.parser import prepare

OUTPUT_COLUMNS = ("code", "formatted_address", "lng", "lat", "level", "match_type", "confidence",
                  "town_code", "community_code")
CHUNK = 2000
PART_ROWS = 10 * CHUNK  # rows per partition on an engine
Transform = Callable[[float, float], tuple[float, float]]
def geocode_texts(
    conn: Connection, texts: Sequence[str], *, districts: tuple[str, ...],
    progress: Callable[[int], None] | None = None, memo: BatchMemo | None = None,
) -> list[GeocodeResult]:
    """Each text's ``geocode`` answer, in order. A text written twice is geocoded once and
    the register look-ups the texts share are made once (``batch_memo``), within the call or,
    with ``memo`` (``new_memo``), within the batch it belongs to."""
    results: list[GeocodeResult] = []
    with batch_memo(memo) as memo:
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            answers = {text: memo.rows.get(("text", districts, text)) for text in chunk}
            new = [text for text, answer in answers.items() if answer is None]
            for text, answer in _geocode_chunk(conn, new, districts).items():
                answers[text] = memo.rows[("text", districts, text)] = answer
            results += [answers[text] for text in chunk]  # type: ignore[misc]
            if progress:
                progress(len(results))
    return results


def _geocode_chunk(conn: Connection, texts: list[str],
                   districts: tuple[str, ...]) -> dict[str, GeocodeResult]:
    """Distinct texts geocoded: parsed in one batch, their exact rows fetched at once."""
    if not texts:
        return {}
    prepare(texts)  # one parse batch for the chunk; read_query's parse() calls hit it
    requests = [GeocodeRequest(text=text, districts=districts) for text in texts]
    readings = [read_query(req) for req in requests]
    keys = ChunkKeys(conn, exact_readings(readings))
    prefetch_code_rows(conn, (r.address for r in readings
                              if r.address.outside is None and r.address.form.place))
    return {text: geocode(conn, req, readings=r, keys=keys)
            for text, req, r in zip(texts, requests, readings, strict=True)}


def lean(result: GeocodeResult) -> GeocodeResult:
    """What the batch outputs read of a result (its best answer and reason), to ship back."""
    return replace(result, candidates=(), components={})


def geocode_part(worker: Worker, part: tuple[Sequence[str], tuple[str, ...]]) -> list[
        GeocodeResult]:
    """One partition of ``geocode_batch``: its texts geocoded on the worker's connection."""
    texts, districts = part
    memo = worker.state.setdefault("geocode_memo", new_memo())
    return [lean(r) for r in geocode_texts(worker.conn, texts, districts=districts, memo=memo)]


def warm_parser() -> None:
    """Load the parser's tables and compiled kernel (a Ray worker's setup, once)."""
    prepare(["上海市青浦区"])


def geocode_batch(
    engine: Engine, texts: Sequence[str], *, districts: tuple[str, ...],
    progress: Callable[[int], None] | None = None, part_rows: int = PART_ROWS,
) -> list[GeocodeResult]:
    """``geocode_texts`` (lean results) with the row ranges run by ``engine``."""
    parts = [(list(texts[r.start:r.stop]), districts) for r in row_ranges(len(texts), part_rows)]
    results: list[GeocodeResult] = []
    for done in engine.map(geocode_part, parts):
        results += done
        if progress:
            progress(len(results))
    return results


def output_fields(best: Candidate | None, transform: Transform | None) -> dict[str, Any]:
    if best is None:
        return dict.fromkeys(OUTPUT_COLUMNS, "")
    lng, lat = transform(best.lng, best.lat) if transform else (best.lng, best.lat)
    return {"code": best.code or "", "formatted_address": best.formatted_address,
            "lng": f"{lng:.7f}", "lat": f"{lat:.7f}", "level": best.level,
            "match_type": best.match_type, "confidence": best.confidence,
            "town_code": best.towncode or "", "community_code": best.community_code or ""}


def csv_fields(columns: list[str]) -> list[str]:
    """The output CSV's columns: the input's, then the geocode fields it lacks."""
    return [*columns, *(c for c in OUTPUT_COLUMNS if c not in columns)]


def write_csv(rows: Iterable[dict[str, str]], results: list[GeocodeResult],
              columns: list[str], transform: Transform | None = None, *,
              header: bool = True) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=csv_fields(columns), extrasaction="ignore")
    if header:
        writer.writeheader()
    for row, result in zip(rows, results, strict=True):
        writer.writerow({**row, **output_fields(result.best, transform)})
    return out.getvalue()


def geojson_features(rows: Iterable[dict[str, str]], results: list[GeocodeResult],
                     transform: Transform | None = None) -> list[dict[str, Any]]:
    features = []
    for row, result in zip(rows, results, strict=True):
        fields = output_fields(result.best, transform)
        geometry = None if result.best is None else {
            "type": "Point", "coordinates": [float(fields["lng"]), float(fields["lat"])]}
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {**row, **fields, "reason": result.reason}})
    return features


def write_geojson(rows: Iterable[dict[str, str]], results: list[GeocodeResult],
                  transform: Transform | None = None) -> str:
    return json.dumps({"type": "FeatureCollection",
                       "features": geojson_features(rows, results, transform)},
                      ensure_ascii=False)


def read_csv_texts(data: str) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and rows of an input CSV, which must have a ``text`` column."""
    from address.errors import BadRequest

    reader = csv.DictReader(io.StringIO(data.lstrip("\ufeff")))
    columns = list(reader.fieldnames or [])
    if "text" not in columns:
        raise BadRequest(f"the CSV needs a 'text' column; it has {', '.join(columns) or 'none'}")
    return columns, list(reader)
