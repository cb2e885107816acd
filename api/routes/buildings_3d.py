"""The 3D base map: LoD1.2 CityJSON and CityJSONSeq of the buildings, 3D Tiles 1.1 for CesiumJS
and the Cesium page.

Exports and tiles are built once per buildings version (``buildings_version``) and kept whole in
the app's ``VersionedCache``: a changed building or address link makes the next request rebuild.
"""

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response
from psycopg import Connection

from api.deps import ConnDep
from api.params import BBoxDep, Town
from api.routes.tiles import cached_response
from api.state import ArtifactsDep
from spatial.buildings.export import buildings_version, export_lod1, export_lod1_seq
from tiles.cache import CachedTile, VersionedCache, make_tile

router = APIRouter(tags=["buildings 3D"])
CITYJSON = "application/city+json"
CITYJSONSEQ = "application/city+json-seq"
_DOCS = {"externalDocs": {"url": "https://www.cityjson.org/specs/2.0.1/"}}


def cached_artifact(conn: Connection, cache: VersionedCache, key: str,
                    build: Callable[[], bytes]) -> CachedTile:
    """The artifact ``key`` at the current buildings version, built when missing or stale."""
    version = buildings_version(conn)
    found = cache.get(key, version)
    if isinstance(found, CachedTile):
        return found
    made = make_tile(build())
    cache.put(key, version, made)
    return made


def _json_bytes(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/buildings/lod1.city.json", summary="LoD1.2 buildings as CityJSON 2.0 (EPSG:4549)",
            response_class=Response, responses={200: {
                "content": {CITYJSON: {"schema": {"type": "object", **_DOCS}}},
                "description": "a CityJSON 2.0 document (gzip, ETag)"},
                304: {"description": "unchanged"}})
def buildings_cityjson(
    conn: ConnDep, cache: ArtifactsDep, box: BBoxDep, town: Town,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 1_000_000,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    args = {**box.as_dict(), **town.as_dict(), "limit": limit}
    cached = cached_artifact(conn, cache, f"cityjson|{args}",
                             lambda: _json_bytes(export_lod1(conn, **args)))
    return cached_response(cached, media_type=CITYJSON, public=True,
                           accept_encoding=accept_encoding, if_none_match=if_none_match)


@router.get("/buildings/lod1.city.jsonl", summary="LoD1.2 buildings as CityJSONSeq (EPSG:4549)",
            response_class=Response, responses={200: {
                "content": {CITYJSONSEQ: {"schema": {"type": "string", **_DOCS}}},
                "description": "a CityJSON header line, then one CityJSONFeature per building"},
                304: {"description": "unchanged"}})
def buildings_cityjson_seq(
    conn: ConnDep, cache: ArtifactsDep, box: BBoxDep, town: Town,
    limit: Annotated[int, Query(ge=1, le=1_000_000)] = 1_000_000,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    args = {**box.as_dict(), **town.as_dict(), "limit": limit}
    cached = cached_artifact(conn, cache, f"cityjsonseq|{args}",
                             lambda: "".join(export_lod1_seq(conn, **args)).encode())
    return cached_response(cached, media_type=CITYJSONSEQ, public=True,
                           accept_encoding=accept_encoding, if_none_match=if_none_match)
