"""Standard addresses: list, one with its history, its raw source records (stewards, audited)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from address.register.registry import addresses_geojson, get_address, list_addresses, source_records
from api.auth import Principal, audit
from api.deps import ConnDep, WriteConn, require_roles

router = APIRouter(prefix="/addresses", tags=["addresses"])


@router.get("", summary="Current standard addresses, paged")
def addresses(
    conn: ConnDep,
    town_code: str | None = None,
    community_code: str | None = None,
    status: Literal["active", "pending", "retired"] | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    total, items = list_addresses(conn, town_code=town_code, community_code=community_code,
                                  status=status, limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/geojson", summary="Current addresses as GeoJSON points (for the map)")
def addresses_as_geojson(conn: ConnDep) -> dict[str, Any]:
    return addresses_geojson(conn)


@router.get("/{code}", summary="One address with every version")
def address(conn: ConnDep, code: str) -> dict[str, Any]:
    return get_address(conn, code=code)


@router.get("/{code}/sources", summary="Raw source records behind an address (steward, admin)")
def address_sources(
    conn: WriteConn, code: str,
    principal: Annotated[Principal, Depends(require_roles("steward"))],
) -> dict[str, Any]:
    records = source_records(conn, code=code)
    audit(conn, principal, action="read", resource=f"address/{code}/sources",
          detail={"records": len(records)})
    return {"code": code, "records": records}
