"""Every route documents what it answers: a response schema, not a bare object."""

from collections import Counter
from typing import Any

import pytest

from api.app import create_app
from api.schemas.geocode import GeocodePublic

# Answers that are not JSON documents of our own (tiles, images, files); their media types are
# documented with ``responses=``.
NON_JSON = {
    ("get", "/geocode/batch/{job_id}/result"),
    ("get", "/tiles/{layers}/{z}/{x}/{y}.mvt"),
    ("get", "/raster/{name}/{z}/{x}/{y}.png"),
    ("get", "/buildings/tiles/{z}/{x}/{y}.pbf"),
    ("get", "/buildings/lod1.city.json"),
    ("get", "/buildings/lod1.city.jsonl"),
    ("get", "/3dtiles/tileset.json"),  # a 3D Tiles 1.1 tileset, that specification's schema
    ("get", "/3dtiles/tiles/{tag}/{name}.glb"),
}


def _documented(schema: dict[str, Any]) -> bool:
    """A $ref, or a list/union/map of documented schemas; a bare ``object`` is not."""
    if "$ref" in schema:
        return True
    if "anyOf" in schema:
        parts = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return bool(parts) and all(_documented(s) for s in parts)
    if schema.get("type") == "array":
        return _documented(schema.get("items", {}))
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        return bool(schema.get("properties")) or (isinstance(extra, dict) and _documented(extra))
    return schema.get("type") in ("string", "integer", "number", "boolean")


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    spec = create_app().openapi()
    return [(method, path, op) for path, ops in spec["paths"].items()
            for method, op in ops.items()]


@pytest.mark.parametrize(("method", "path", "op"), _operations(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_route_has_a_response_schema(method, path, op):
    success = {code: r for code, r in op["responses"].items() if code.startswith("2")}
    assert success, f"{method} {path} documents no success response"
    for code, response in success.items():
        content = response.get("content") or {}
        if code == "204" or (method, path) in NON_JSON:
            assert code == "204" or content, f"{method} {path} documents no media type"
            continue
        schemas = [c.get("schema", {}) for c in content.values()]
        assert schemas and all(_documented(s) for s in schemas), (method, path, code, schemas)


def test_every_operation_has_its_own_id():
    """Client generators (openapi-generator, orval) refuse a spec where two operations share
    an operationId, as one route for GET and POST gave them."""
    ids = Counter(op["operationId"] for _, _, op in _operations())
    assert [name for name, n in ids.items() if n > 1] == []


def test_deprecated_aliases_are_marked():
    spec = create_app().openapi()
    address = spec["components"]["schemas"]["AddressVersion"]["properties"]
    assert address["canonical"].get("deprecated") is True
    assert "formatted_address" in address["canonical"]["description"]
    assert address["formatted_address"].get("deprecated") is not True


def test_geocode_answers_its_documented_shape(client):
    """/geocode builds its body by hand (hot path): it must still be a GeocodePublic."""
    body = client.get("/geocode", params={"address": "华志路559号", "coordsys": "gcj02"}).json()
    assert GeocodePublic.model_validate(body).model_dump(mode="json") == body


def test_new_names_beside_the_old_ones(client):
    items = client.get("/addresses", params={"towncode": "310118002", "limit": 2}).json()["items"]
    assert items and all(a["towncode"] == a["town_code"] == "310118002" for a in items)
    assert all(a["formatted_address"] == a["canonical"] for a in items)
    assert all(a["adcode"] == a["district_code"] for a in items)
    same = client.get("/addresses", params={"town_code": "310118002", "limit": 2}).json()
    assert same["items"] == items
    chain = client.get("/admin-areas", params={"point": "121.1098416,31.14427407"}).json()
    assert chain["admin_chain"] == chain["chain"]
