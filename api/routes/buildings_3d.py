"""The 3D base map: LoD1.2 CityJSON and CityJSONSeq of the buildings, 3D Tiles 1.1 for CesiumJS
and the Cesium page.

Exports and tiles are built once per buildings version (``buildings_version``) and kept whole in
the app's ``VersionedCache``: a changed building or address link makes the next request rebuild.
"""

import json
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import FileResponse, Response
from psycopg import Connection

from address.errors import NotFound
from api.deps import ConnDep
from api.params import BBoxDep, Town
from api.routes.pages import STATIC_DIR
from api.routes.tiles import cached_response
from api.state import ArtifactsDep
from spatial.buildings.export import (
    buildings_version,
    export_lod1,
    export_lod1_seq,
    load_blocks,
)
from tiles.cache import CachedTile, VersionedCache, make_tile
from tiles.tileset import build_tileset

router = APIRouter(tags=["buildings 3D"])
CITYJSON = "application/city+json"
CITYJSONSEQ = "application/city+json-seq"
GLB = "model/gltf-binary"
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


def _tileset(conn: Connection, cache: VersionedCache) -> dict[str, CachedTile]:
    """Every file of the current tileset (``tileset.json`` and ``tiles/….glb``), built once per
    buildings version."""
    version = buildings_version(conn)
    found = cache.get("3dtiles", version)
    if isinstance(found, dict):
        return found
    built = build_tileset(load_blocks(conn), version=version)
    files = {uri: make_tile(data) for uri, data in built.contents.items()}
    files["tileset.json"] = make_tile(built.json_bytes)
    cache.put("3dtiles", version, files)
    return files


@router.get("/3dtiles/tileset.json", summary="The buildings as 3D Tiles 1.1 (for CesiumJS)",
            response_class=Response, responses={
                200: {"content": {"application/json": {}}, "description": "a 3D Tiles tileset"},
                304: {"description": "unchanged"}})
def tileset_json(
    conn: ConnDep, cache: ArtifactsDep, accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    return cached_response(_tileset(conn, cache)["tileset.json"], media_type="application/json",
                           public=True, accept_encoding=accept_encoding,
                           if_none_match=if_none_match)


@router.get("/3dtiles/tiles/{tag}/{name}.glb",
            summary="One tile's content: GLB with feature metadata (immutable: the tag names the"
                    " buildings version)",
            response_class=Response, responses={
                200: {"content": {GLB: {}}, "description": "glTF 2.0 binary"},
                304: {"description": "unchanged"}})
def tileset_content(
    conn: ConnDep, cache: ArtifactsDep, tag: str, name: str,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    uri = f"tiles/{tag}/{name}.glb"
    files = cache.latest("3dtiles")  # the tag is the version: no need to ask the database
    if not isinstance(files, dict) or uri not in files:
        files = _tileset(conn, cache)
    found = files.get(uri)
    if found is None:
        raise NotFound(f"no tile {tag}/{name} in the current tileset (reload tileset.json)")
    return cached_response(found, media_type=GLB, public=True, accept_encoding=accept_encoding,
                           if_none_match=if_none_match, max_age=86_400)


@router.get("/3d/cesium", include_in_schema=False)
def page_cesium() -> FileResponse:
    return FileResponse(STATIC_DIR / "cesium.html")
