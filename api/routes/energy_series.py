"""Energy over time (issue 18 points 5 and 6): series and summaries of meters, enterprises,
buildings and parks, rankings; alarms and their states. Reads need the role ``energy`` or an
``enterprise`` key (its own rows only, row-level security) and are audited."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import audit
from api.deps import WriteConn
from api.routes.energy import EnergyReader, EnergyWriter
from api.schemas.energy import AlarmOut, AlarmState, RankingOut, RankOut, SeriesOut, SummaryOut
from layers.energy.alarms import list_alarms, set_state
from layers.energy.series import ranking, series
from layers.energy.summary import summary

router = APIRouter(prefix="/energy", tags=["energy"])
Start = Annotated[datetime, Query(description="ISO 8601 with its offset")]
Interval = Annotated[str, Query(pattern="^(15min|hour|day|month)$")]
Kind = Annotated[str | None, Query(description="electricity (default), water, gas, …")]
PATHS = {"meter": "meters", "enterprise": "enterprises", "building": "buildings",
         "park": "parks"}


def _series_route(scope: str) -> None:
    @router.get(f"/{PATHS[scope]}/{{scope_id}}/series", response_model=SeriesOut,
                summary=f"A {scope}'s consumption at 15 min, hour, day or month",
                name=f"{scope}_series")
    def get_series(reader: EnergyReader, scope_id: str, start: Start, end: Start,
                   interval: Interval = "day", kind: Kind = None) -> SeriesOut:
        return SeriesOut.model_validate(series(reader.conn, scope=scope, scope_id=scope_id,
                                               interval=interval, start=start, end=end,
                                               kind=kind))

    @router.get(f"/{PATHS[scope]}/{{scope_id}}/summary", response_model=SummaryOut,
                summary=f"A {scope}'s totals, tce, CO₂ and KPIs for a period",
                name=f"{scope}_summary")
    def get_summary(reader: EnergyReader, scope_id: str, start: Start, end: Start,
                    emission_factor: Annotated[str, Query(
                        description="national, east_china, shanghai, …")] = "shanghai",
                    kind: Kind = None) -> SummaryOut:
        return SummaryOut.model_validate(summary(
            reader.conn, scope=scope, scope_id=scope_id, start=start, end=end,
            factor_scope=emission_factor, kind=kind))


for _scope in PATHS:
    _series_route(_scope)


@router.get("/rankings", response_model=RankingOut, summary="Enterprises or buildings by use")
def get_ranking(reader: EnergyReader, start: Start, end: Start,
                scope: Annotated[str, Query(pattern="^(enterprise|building)$")] = "enterprise",
                kind: Annotated[str, Query()] = "electricity",
                park_code: Annotated[str | None, Query()] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 20) -> RankingOut:
    items = ranking(reader.conn, scope=scope, start=start, end=end, kind=kind,
                    park_code=park_code, limit=limit)
    return RankingOut(scope=scope, kind=kind, items=[RankOut(**i) for i in items])


@router.get("/alarms", response_model=list[AlarmOut], summary="Alarms, newest first")
def get_alarms(reader: EnergyReader, meter_id: Annotated[str | None, Query()] = None,
               enterprise_id: Annotated[int | None, Query()] = None,
               start: Annotated[datetime | None, Query()] = None,
               end: Annotated[datetime | None, Query()] = None,
               state: Annotated[str | None, Query(pattern="^(open|acknowledged|closed)$")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> list[AlarmOut]:
    rows = list_alarms(reader.conn, meter_id=meter_id, enterprise_id=enterprise_id,
                       start=start, end=end, state=state, limit=limit, offset=offset)
    return [AlarmOut.model_validate(r) for r in rows]


@router.post("/alarms/{alarm_id}/state", response_model=AlarmOut,
             summary="Acknowledge or close an alarm")
def post_alarm_state(conn: WriteConn, alarm_id: int, body: AlarmState,
                     principal: EnergyWriter) -> AlarmOut:
    alarm = set_state(conn, alarm_id=alarm_id, state=body.state)
    audit(conn, principal, action=body.state, resource=f"energy/alarms/{alarm_id}")
    return AlarmOut.model_validate(alarm)
