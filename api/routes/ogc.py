"""OGC API Features Part 1 (Core, GeoJSON) and Part 2 (CRS by reference) under ``/ogc``.

Collections are the built-ins (admin areas, addresses, buildings once they exist) and the catalog
layers the caller may read.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.auth import Principal
from api.deps import ConnDep, CurrentUser
from api.params import OgcBBox, Paging, paging
from api.routes.layers import readable_collection
from api.schemas.common import Feature
from api.schemas.ogc import (
    CollectionPublic,
    Collections,
    Conformance,
    FeatureCollectionPage,
    LandingPage,
    Queryables,
)
from layers.catalog.access import readable_levels
from layers.catalog.collections import Collection, list_collections
from layers.catalog.features import (
    CRS84,
    SUPPORTED_CRS,
    ItemsQuery,
    get_item,
    parse_crs,
    query_items,
)
from layers.hotline.crypto import current_keyring
from layers.hotline.watermark import mark_features, payload

router = APIRouter(prefix="/ogc", tags=["OGC API Features"])
GEOJSON = "application/geo+json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
_RESERVED = {"limit", "offset", "bbox", "bbox-crs", "datetime", "crs", "f"}


def _link(href: str, rel: str, type_: str = "application/json", title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    return {**link, "title": title} if title else link


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


@router.get("", summary="Landing page", response_model=LandingPage,
            response_model_exclude_none=True)
def landing(request: Request) -> dict[str, Any]:
    base = _base(request)
    return {
        "title": "dizhi OGC API Features",
        "description": "Admin areas, standard addresses and the layer catalog of the district",
        "links": [
            _link(base, "self"),
            _link(f"{base}/conformance", "conformance"),
            _link(f"{base}/collections", "data"),
            _link(str(request.base_url) + "openapi.json", "service-desc",
                  "application/vnd.oai.openapi+json;version=3.0"),
            _link(str(request.base_url) + "docs", "service-doc", "text/html"),
        ],
    }


@router.get("/conformance", summary="Conformance classes", response_model=Conformance)
def conformance() -> dict[str, Any]:
    return {"conformsTo": CONFORMANCE}


def _collection_json(c: Collection, base: str) -> dict[str, Any]:
    href = f"{base}/collections/{c.id}"
    extent: dict[str, Any] = {"spatial": {"bbox": [c.bbox or [-180, -90, 180, 90]], "crs": CRS84}}
    return {
        "id": c.id, "title": c.title, "description": c.description, "itemType": "feature",
        "extent": extent, "crs": list(SUPPORTED_CRS), "storageCrs": CRS84,
        "access_level": c.access_level,
        "links": [_link(href, "self"), _link(f"{href}/items", "items", GEOJSON),
                  _link(f"{href}/queryables", "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                        "application/schema+json")],
    }


@router.get("/collections", summary="Collections the caller may read",
            response_model=Collections, response_model_exclude_none=True)
def collections(conn: ConnDep, principal: CurrentUser, request: Request) -> dict[str, Any]:
    base = _base(request)
    found = list_collections(conn, levels=readable_levels(principal.role))
    return {"links": [_link(f"{base}/collections", "self")], "crs": list(SUPPORTED_CRS),
            "collections": [_collection_json(c, base) for c in found]}


@router.get("/collections/{cid}", summary="One collection", response_model=CollectionPublic,
            response_model_exclude_none=True)
def collection(conn: ConnDep, principal: CurrentUser, request: Request, cid: str) -> dict[str, Any]:
    return _collection_json(readable_collection(conn, principal, cid), _base(request))


@router.get("/collections/{cid}/queryables", summary="The properties items can be filtered by",
            response_model=Queryables, response_model_by_alias=True)
def queryables(conn: ConnDep, principal: CurrentUser, cid: str) -> dict[str, Any]:
    found = readable_collection(conn, principal, cid)
    kinds = {"bigint": "integer", "integer": "integer", "double precision": "number",
             "boolean": "boolean"}
    return {"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "object",
            "title": found.title,
            "properties": {f["name"]: {"type": kinds.get(f["type"], "string")}
                           for f in found.fields}}


def _page_links(request: Request, matched: int, query: ItemsQuery) -> list[dict[str, str]]:
    links = [_link(str(request.url), "self", GEOJSON)]
    if query.offset + query.limit < matched:
        next_url = request.url.include_query_params(offset=query.offset + query.limit)
        links.append(_link(str(next_url), "next", GEOJSON))
    if query.offset > 0:
        prev_url = request.url.include_query_params(offset=max(0, query.offset - query.limit))
        links.append(_link(str(prev_url), "prev", GEOJSON))
    return links


def _marked(found: Collection, principal: Principal, features_json: str) -> str:
    """A restricted layer's features carry the reader's key as a watermark."""
    if found.access_level != "restricted":
        return features_json
    mark = payload(current_keyring(), principal.key_id or 0)
    return mark_features(json.loads(features_json), mark)


@router.get("/collections/{cid}/items", summary="Features: bbox, datetime, properties, paging",
            response_class=Response, responses={200: {
                "content": {GEOJSON: {"schema": {
                    "$ref": "#/components/schemas/FeatureCollectionPage"}}},
                "description": "a page of features", "model": FeatureCollectionPage}})
def items(
    conn: ConnDep, principal: CurrentUser, request: Request, cid: str, box: OgcBBox,
    page: Annotated[Paging, Depends(paging(default=10, maximum=10000))],
    datetime: Annotated[str | None, Query(description="instant or interval a/b (.. open)")] = None,
    crs: Annotated[str | None, Query(description="output CRS URI")] = None,
) -> Response:
    found = readable_collection(conn, principal, cid)
    properties = {k: v for k, v in request.query_params.items() if k not in _RESERVED}
    query = ItemsQuery(**page.as_dict(), **box.as_dict(), datetime=datetime,
                       properties=properties, crs=parse_crs(crs))
    found_page = query_items(conn, collection=found, query=query)
    head = {"type": "FeatureCollection", "numberMatched": found_page.number_matched,
            "numberReturned": found_page.number_returned,
            "links": _page_links(request, found_page.number_matched, query)}
    body = (json.dumps(head, ensure_ascii=False)[:-1] + ', "features": '
            + _marked(found, principal, found_page.features_json) + "}")
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{query.crs.uri}>"})


@router.get("/collections/{cid}/items/{fid}", summary="One feature", response_class=Response,
            responses={200: {"content": {GEOJSON: {"schema": {
                "$ref": "#/components/schemas/Feature"}}},
                "description": "the feature", "model": Feature}})
def item(conn: ConnDep, principal: CurrentUser, request: Request, cid: str, fid: str,
         crs: Annotated[str | None, Query(description="output CRS URI")] = None) -> Response:
    found = readable_collection(conn, principal, cid)
    output = parse_crs(crs)
    feature = get_item(conn, collection=found, fid=fid, crs=output)
    links = [_link(str(request.url), "self", GEOJSON),
             _link(f"{_base(request)}/collections/{cid}", "collection")]
    body = feature[:-1] + ', "links": ' + json.dumps(links) + "}"
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{output.uri}>"})
