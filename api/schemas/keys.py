"""API keys, the caller and the audit log."""

from datetime import datetime
from typing import Any

from pydantic import Field

from api.schemas.common import Public


class Me(Public):
    role: str
    name: str


class KeyCreated(Public):
    id: int
    key: str = Field(description="the secret, shown this once")
    role: str
    name: str


class KeyPublic(Public):
    id: int
    prefix: str
    role: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


class AuditEntry(Public):
    id: int
    at: datetime
    key_id: int | None
    role: str
    action: str
    resource: str
    detail: dict[str, Any] | None
