"""The park energy map's data (issue 18 point 7): the parks, and a park's buildings coloured by
consumption or intensity for a period. Reads need the role ``energy`` (or an ``enterprise`` key:
its own buildings only, row-level security) and are audited."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.routes.energy import EnergyReader
from api.schemas.energy import ParkMapOut, ParkOut
from layers.energy.park_map import list_parks, park_buildings

router = APIRouter(prefix="/energy", tags=["energy"])


@router.get("/parks", response_model=list[ParkOut], summary="The parks and the months they cover")
def get_parks(reader: EnergyReader) -> list[ParkOut]:
    return [ParkOut.model_validate(p) for p in list_parks(reader.conn)]


@router.get("/parks/{park_code}/buildings.geojson", response_model=ParkMapOut,
            summary="A park's buildings with their consumption and kWh/m² for a period")
def get_park_buildings(reader: EnergyReader, park_code: str,
                       start: Annotated[datetime, Query(description="ISO 8601 with offset")],
                       end: Annotated[datetime, Query(description="ISO 8601 with offset")],
                       kind: Annotated[str, Query()] = "electricity") -> ParkMapOut:
    return ParkMapOut.model_validate(park_buildings(reader.conn, park_code=park_code,
                                                    start=start, end=end, kind=kind))
