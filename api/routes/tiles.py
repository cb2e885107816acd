"""Vector tiles: ``/tiles/{layers}/{z}/{x}/{y}.mvt`` and TileJSON at ``/tiles/{layers}.json``.

``layers`` is one collection id or several joined by commas (one tile, several MVT layers). Access
is checked on every request, before the cache; tiles are gzipped and carry an ETag (304 when it
matches).
"""

import gzip
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from psycopg import Connection

from address.errors import BadRequest
from api.auth import Principal
from api.deps import ConnDep, CurrentUser
from api.routes.layers import TileCacheDep, readable_collection
from api.schemas.tiles import TileJSON
from layers.catalog.collections import Collection, collection_bounds
from tiles.cache import CachedTile, TileCache, TileKey, make_tile
from tiles.mvt import TileRequest, render_tile, tilejson

router = APIRouter(prefix="/tiles", tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"
MAX_LAYERS = 8


def _collections(conn: Connection, principal: Principal, layers: str) -> list[Collection]:
    ids = [i for i in layers.split(",") if i]
    if not ids or len(ids) > MAX_LAYERS or len(set(ids)) != len(ids):
        raise BadRequest(f"name 1 to {MAX_LAYERS} distinct layers, comma-separated")
    return [readable_collection(conn, principal, cid) for cid in ids]


@router.get("/{layers}.json", summary="TileJSON for one or several layers", response_model=TileJSON)
def tile_json(conn: ConnDep, principal: CurrentUser, request: Request,
              layers: str) -> dict[str, Any]:
    found = _collections(conn, principal, layers)
    url = str(request.base_url).rstrip("/") + f"/tiles/{layers}/{{z}}/{{x}}/{{y}}.mvt"
    return tilejson(found, tiles_url=url, bounds=[collection_bounds(conn, c) for c in found])


@router.get("/{layers}/{z}/{x}/{y}.mvt", summary="A vector tile (gzip, ETag)",
            response_class=Response, responses={
                200: {"content": {MVT: {}}, "description": "Mapbox Vector Tile"},
                304: {"description": "the tile matches If-None-Match"}})
def tile(
    conn: ConnDep, principal: CurrentUser, cache: TileCacheDep, layers: str, z: int, x: int,
    y: int,
    fields: Annotated[str | None, Query(description="comma-separated attributes to keep")] = None,
    accept_encoding: Annotated[str, Header()] = "",
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    wanted = tuple(sorted(f for f in fields.split(",") if f)) if fields is not None else None
    return vector_tile(conn, principal, cache, layers=layers, tile=TileRequest(z, x, y, wanted),
                       accept_encoding=accept_encoding, if_none_match=if_none_match)


def vector_tile(conn: Connection, principal: Principal, cache: TileCache, *, layers: str,
                tile: TileRequest, accept_encoding: str, if_none_match: str | None) -> Response:
    """The one way a vector tile is served: access checked, then the cache, ETag, gzip."""
    found = _collections(conn, principal, layers)
    request = tile.check()
    z, x, y, wanted = request.z, request.x, request.y, request.fields
    key = TileKey(tuple(c.id for c in found), tuple(c.cache_token for c in found), z, x, y,
                  ",".join(wanted) if wanted is not None else "*")
    cached = cache.get(key)
    if cached is None:
        cached = make_tile(render_tile(conn, collections=found, tile=request))
        cache.put(key, cached)
    public = all(c.access_level == "public" for c in found)
    return cached_response(cached, media_type=MVT, public=public, accept_encoding=accept_encoding,
                           if_none_match=if_none_match)


def cached_response(cached: CachedTile, *, media_type: str, public: bool, accept_encoding: str,
                    if_none_match: str | None, max_age: int = 60) -> Response:
    """The one way a cached artifact is answered: ETag (304 when it matches), gzip when asked."""
    headers = {"ETag": cached.etag, "Vary": "Accept-Encoding, Authorization, X-API-Key",
               "Cache-Control": f"public, max-age={max_age}" if public else "private, no-cache"}
    if if_none_match and cached.etag in if_none_match:
        return Response(status_code=304, headers=headers)
    if "gzip" in accept_encoding:
        return Response(cached.gzipped, media_type=media_type,
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(gzip.decompress(cached.gzipped), media_type=media_type, headers=headers)
