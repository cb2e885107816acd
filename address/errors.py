"""The error hierarchy every dizhi package raises.

It lives at the bottom of the dependency graph (api → layers, tiles → spatial → address) so that
every package can use it. Each class carries an HTTP status and a title; ``detail`` must be safe to
show to users. The API turns these into RFC 9457 problem+json in one place.
"""

from typing import Any, ClassVar


class DizhiError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(DizhiError):
    status = 400
    title = "Bad request"


class NotFound(DizhiError):
    status = 404
    title = "Not found"


class Unauthorized(DizhiError):
    status = 401
    title = "Unauthorized"


class Forbidden(DizhiError):
    status = 403
    title = "Forbidden"


class Conflict(DizhiError):
    status = 409
    title = "Conflict"


class TooLarge(DizhiError):
    """Past a configured limit (upload size, inflated size, features, vertices, a role's quota)."""

    status = 413
    title = "Content too large"
