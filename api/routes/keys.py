"""API keys and the audit log (admin only; reading the audit log is itself audited)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from address.errors import NotFound
from api.auth import Principal, audit, create_key, list_keys, revoke_key
from api.deps import ConnDep, CurrentUser, WriteConn, require_roles
from api.schemas.keys import AuditEntry, KeyCreated, KeyPublic, Me
from migrations.tables.values import ROLES

router = APIRouter(tags=["keys"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


class KeyCreate(BaseModel):
    role: str = Field(description=f"one of {', '.join(ROLES)}")
    name: str = ""


@router.get("/me", summary="Who the caller is")
def me(principal: CurrentUser) -> Me:
    return Me(role=principal.role, name=principal.name)


@router.post("/keys", status_code=status.HTTP_201_CREATED, summary="Create a key (shown once)",
             response_model=KeyCreated)
def post_key(conn: WriteConn, body: KeyCreate, principal: Admin) -> dict[str, Any]:
    new = create_key(conn, role=body.role, name=body.name)
    audit(conn, principal, action="create", resource=f"api_key/{new.id}", detail={"role": new.role})
    return {"id": new.id, "key": new.key, "role": new.role, "name": new.name}


@router.get("/keys", summary="Keys (without secrets)", response_model=list[KeyPublic])
def get_keys(conn: ConnDep, principal: Admin) -> list[dict[str, Any]]:
    return list_keys(conn)


@router.delete("/keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a key")
def delete_key(conn: WriteConn, key_id: int, principal: Admin) -> None:
    if not revoke_key(conn, key_id=key_id):
        raise NotFound(f"no active key with id {key_id}")
    audit(conn, principal, action="revoke", resource=f"api_key/{key_id}")


@router.get("/audit-log", summary="The audit trail, newest first",
            response_model=list[AuditEntry])
def audit_log(
    conn: WriteConn, principal: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, at, key_id, role, action, resource, detail FROM audit_log"
        " ORDER BY id DESC LIMIT %s", [limit],
    ).fetchall()
    audit(conn, principal, action="read", resource="audit_log", detail={"rows": len(rows)})
    cols = ("id", "at", "key_id", "role", "action", "resource", "detail")
    return [dict(zip(cols, r, strict=True)) for r in rows]
