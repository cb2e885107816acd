"""Standard addresses: list, one with its history, its raw source records (stewards, audited)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from address.register.registry import addresses_geojson, get_address, list_addresses, source_records
from api.auth import Principal, audit
from api.deps import ConnDep, WriteConn, require_roles
from api.params import PagingDep, Town
from api.schemas.addresses import AddressPublic, AddressSources, AddressVersion
from api.schemas.common import FeatureCollection, Page

router = APIRouter(prefix="/addresses", tags=["addresses"])


@router.get("", summary="Current standard addresses, paged", response_model=Page[AddressVersion])
def addresses(
    conn: ConnDep, town: Town, paging: PagingDep,
    community_code: str | None = None,
    status: Literal["active", "pending", "retired"] | None = None,
) -> dict[str, Any]:
    total, items = list_addresses(conn, town_code=town.towncode, community_code=community_code,
                                  status=status, **paging.as_dict())
    return {"total": total, **paging.as_dict(), "items": items}


@router.get("/geojson", summary="Current addresses as GeoJSON points (for the map)",
            response_model=FeatureCollection)
def addresses_as_geojson(conn: ConnDep) -> JSONResponse:
    return JSONResponse(addresses_geojson(conn))  # documented, not re-validated: large


@router.get("/{code}", summary="One address with every version", response_model=AddressPublic)
def address(conn: ConnDep, code: str) -> dict[str, Any]:
    return get_address(conn, code=code)


@router.get("/{code}/sources", summary="Raw source records behind an address (steward, admin)",
            response_model=AddressSources)
def address_sources(
    conn: WriteConn, code: str,
    principal: Annotated[Principal, Depends(require_roles("steward"))],
) -> dict[str, Any]:
    records = source_records(conn, code=code)
    audit(conn, principal, action="read", resource=f"address/{code}/sources",
          detail={"records": len(records)})
    return {"code": code, "records": records}
