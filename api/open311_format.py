"""Open311 GeoReport v2 on the wire: the ``.json``/``.xml`` format suffix, XML as the spec's
examples write it, form posts decoded in the charset they declare, and the spec's ``api_key``
(query or form field) as well as the ``Authorization`` header."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile

from address.errors import BadRequest

Format = Literal["json", "xml"]
FORM = "application/x-www-form-urlencoded"
# the element name of a list's items, by the list's name
ITEMS = {"services": "service", "service_requests": "request", "attributes": "attribute",
         "values": "value", "status_history": "entry"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _element(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _element(node, key, inner)
    elif isinstance(value, list):
        for inner in value:
            _element(node, ITEMS.get(name, "item"), inner)
    elif value is not None:
        node.text = _text(value)


def to_xml(root: str, items: list[dict[str, Any]] | dict[str, Any]) -> bytes:
    """``<root><item>…</item>…</root>`` for a list, ``<root>…</root>`` for one object."""
    top = ET.Element(root)
    if isinstance(items, dict):
        for key, value in items.items():
            _element(top, key, value)
    else:
        for item in items:
            _element(top, ITEMS.get(root, "item"), item)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def render(data: Any, fmt: Format, *, root: str, status_code: int = 200) -> Response:
    encoded = jsonable_encoder(data)
    if fmt == "xml":
        return Response(to_xml(root, encoded), status_code=status_code,
                        media_type="application/xml; charset=utf-8")
    return JSONResponse(encoded, status_code=status_code)


def charset_of(content_type: str) -> str:
    """The charset a Content-Type declares (UTF-8 when it declares none); 400 for an unknown."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip():
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError as exc:
                raise BadRequest(f"unknown charset {value.strip()!r}") from exc
    return "utf-8"


class CharsetFormRequest(Request):
    """A request whose url-encoded form is decoded in its declared charset (UTF-8 by default):
    Starlette reads raw bytes as latin-1, which garbles a form posted without percent-escapes."""

    async def _get_form(self, **kwargs: Any) -> FormData:
        content_type = self.headers.get("content-type", "")
        if self._form is None and content_type.split(";")[0].strip().lower() == FORM:
            charset = charset_of(content_type)
            try:
                text = (await self.body()).decode(charset)
            except UnicodeDecodeError as exc:
                raise BadRequest(f"the form is not valid {charset}") from exc
            fields: list[tuple[str, str | UploadFile]] = list(
                parse_qsl(text, keep_blank_values=True, encoding=charset))
            self._form = FormData(fields)
        return await super()._get_form(**kwargs)


class Open311Route(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def decoded(request: Request) -> Response:
            return await handler(CharsetFormRequest(request.scope, request.receive))

        return decoded
