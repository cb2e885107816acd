"""Text that no parameter may carry, refused at the door: NUL characters (PostgreSQL text cannot
hold them; GDAL cuts strings at them), invalid UTF-8 (or text invalid in the charset a form
body declares) and lone surrogates (which cannot be encoded
for the database). Checked in one place for every request: the path, the query string, and JSON
or form bodies. Such a request answers 400 problem+json before any route runs.

File uploads (multipart) are not checked here: their content is the importer's to read and report
row by row.
"""

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import PROBLEM_JSON

_CHECKED_BODIES = ("application/json", "application/geo+json", "application/x-www-form-urlencoded")
MAX_CHECKED_BODY = 64 * 1024 * 1024  # bigger bodies are the routes' to refuse, not read here


def bad_text(raw: bytes, charset: str = "utf-8") -> str | None:
    """Why percent-encoded ``raw`` (a path, a query string, a form body in ``charset``) is
    refused, or None."""
    decoded = unquote_to_bytes(raw)
    try:
        text = decoded.decode(charset)
    except UnicodeDecodeError:
        return f"is not valid {charset.upper()}"
    except LookupError:
        return f"names an unknown charset {charset!r}"
    return "contains a NUL character" if "\x00" in text else None


def _bad_value(value: Any) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (invalid Unicode)"
        return None
    if isinstance(value, dict):
        return next((r for k, v in value.items() if (r := _bad_value(k) or _bad_value(v))), None)
    if isinstance(value, list):
        return next((r for v in value if (r := _bad_value(v))), None)
    return None


def bad_json(body: bytes) -> str | None:
    """Why a JSON body is refused, or None (malformed JSON is left to the route's validation).
    UTF-8 with no ``\\u`` escape cannot hold a NUL or a lone surrogate in a string (a raw NUL
    byte is malformed JSON), so such a body is not parsed here: a bulk upload of readings
    spent as long in this check as in its own parse."""
    try:
        if b"\\u" not in body and body.decode("utf-8"):
            return None
    except UnicodeDecodeError:
        pass  # perhaps UTF-16 or UTF-32, which json.loads reads
    try:
        return _bad_value(json.loads(body))
    except UnicodeDecodeError:
        return "is not valid UTF-8"
    except ValueError:
        return None


class TextGuard:
    """ASGI middleware: 400 for a request whose path, query or JSON/form body carries bad text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        for where, why in (("the path", bad_text(raw_path)),
                           ("the query string", bad_text(scope.get("query_string", b"")))):
            if why:
                await _refuse(scope, send, f"{where} {why}")
                return
        kind, charset = _content_type(scope)
        if kind not in _CHECKED_BODIES:
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        why = None
        if body is not None:
            why = bad_text(body, charset) if kind.endswith("urlencoded") else bad_json(body)
        if why:
            await _refuse(scope, send, f"the request body {why}")
            return
        await self.app(scope, _replay(messages, receive), send)


def _content_type(scope: Scope) -> tuple[str, str]:
    """The media type and its charset (UTF-8 unless the header names another)."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind, *params = value.decode("latin-1").split(";")
            charset = next((v.strip().strip('"') for k, _, v in (p.partition("=") for p in params)
                            if k.strip().lower() == "charset"), "utf-8")
            return kind.strip().lower(), charset or "utf-8"
    return "", "utf-8"


async def _read_body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body (None past ``MAX_CHECKED_BODY``) and the messages read, to replay."""
    messages: list[Message] = []
    size, more = 0, True
    while more:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
        if size > MAX_CHECKED_BODY:
            return None, messages
    return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _refuse(scope: Scope, send: Send, detail: str) -> None:
    path = scope["path"].encode("utf-8", "replace").decode("utf-8", "replace").replace("\x00", "")
    body = json.dumps({"type": "about:blank", "title": "Bad request", "status": 400,
                       "detail": detail, "instance": path}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
