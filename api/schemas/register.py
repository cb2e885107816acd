"""The register's workflow: conflicts, objections, tags."""

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, create_model

from address.register.tags import VOCABULARY
from api.schemas.common import Public, deprecated


class ConflictPublic(Public):
    renamed: ClassVar[dict[str, str]] = {"canonical": "formatted_address"}
    id: int
    kind: str = Field(description="far_apart, same_point, outside_admin or duplicate")
    address_code: str | None
    formatted_address: str | None = Field(None, description="of the address in conflict")
    record_ids: list[int]
    detail: dict[str, Any]
    status: str
    reviewer: str | None
    note: str | None
    created_at: datetime
    resolved_at: datetime | None
    canonical: str | None = deprecated("formatted_address")


class Resolved(Public):
    model_config = ConfigDict(extra="allow")
    id: int
    action: str
    status: str


class ObjectionEvent(Public):
    at: datetime
    by: str
    note: str
    status: str


class ObjectionPublic(Public):
    id: int
    address_code: str
    reason: str
    status: str = Field(description="open, verifying, resolved or rejected")
    submitted_by: str
    history: list[ObjectionEvent]
    created_at: datetime
    updated_at: datetime


# One field per tag of the vocabulary: its allowed values, or "free text".
TagVocabulary = create_model(
    "TagVocabulary", __base__=Public,
    **{name: (list[str] | Literal["free text"], ...) for name in VOCABULARY})  # type: ignore[call-overload]
