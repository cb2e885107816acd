"""Request and response models of the energy API (issue 18)."""

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from api.schemas.common import FeatureCollection


class MeterIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[^\s/]+$",
                    description="the gateway's or utility's meter number", examples=["QP-E-0001"])
    kind: str = Field(examples=["electricity"],
                      description="electricity, water, gas, steam or heat")
    unit: str = Field(examples=["kWh"])
    reading_type: str = Field(examples=["cumulative"], description="cumulative or interval")
    name: str = ""
    multiplier: float = Field(1.0, gt=0, description="CT × PT")
    register_max: float | None = Field(None, gt=0, description="where the register rolls over")
    parent_id: str | None = None
    counted_in_parent: bool = True
    park_code: str | None = None
    enterprise_id: int | None = None
    building_id: int | None = None


class Replacement(BaseModel):
    replaced_at: datetime
    old_final: float
    new_initial: float
    old_serial: str | None = None
    new_serial: str | None = None
    note: str = ""


class MeterOut(BaseModel):
    id: str
    name: str
    kind: str
    unit: str
    reading_type: str
    multiplier: float
    register_max: float | None
    parent_id: str | None
    counted_in_parent: bool
    park_code: str | None
    enterprise_id: int | None
    building_id: int | None
    synthetic: bool
    created_at: datetime
    replacements: list[Replacement]


class MeterPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[MeterOut]


class ReadingIn(BaseModel):
    meter_id: str = Field(min_length=1, max_length=64)
    ts: AwareDatetime = Field(description="ISO 8601 with its UTC offset")
    value: float = Field(allow_inf_nan=False)


class ReadingsIn(BaseModel):
    readings: list[ReadingIn]


class IngestOut(BaseModel):
    received: int = Field(description="distinct (meter, ts) in the request")
    inserted: int
    corrected: int = Field(description="a new value for a known (meter, ts); the old one kept")
    unchanged: int
    skipped: int = 0
    unknown_meters: list[str] = []

    @classmethod
    def of(cls, report: Any) -> "IngestOut":
        return cls(received=report.received, inserted=report.inserted,
                   corrected=report.corrected, unchanged=report.unchanged,
                   skipped=report.skipped, unknown_meters=list(report.unknown_meters))


class Point(BaseModel):
    ts: datetime = Field(description="the interval's start, +08:00")
    value: float
    quality: str = Field(description="measured, estimated or suspect")


class SeriesOut(BaseModel):
    scope: str
    meter_id: str | None = None
    enterprise_id: str | None = None
    building_id: str | None = None
    park_id: str | None = None
    kind: str
    interval: str
    unit: str
    points: list[Point]


class KindTotal(BaseModel):
    kind: str
    total: float
    estimated: float
    suspect: float
    tce: float | None
    co2_t: float | None
    peak_15min: float | None
    intervals: int
    days_without_coefficient: int
    days_without_factor: int
    coefficient_source: str | None
    factor_source: str | None
    previous_total: float | None
    change: float | None


class SummaryOut(BaseModel):
    scope: str
    id: str
    start: datetime
    end: datetime
    emission_factor_scope: str
    kinds: list[KindTotal]
    tce: float
    co2_t: float
    kpis: dict[str, float | None]
    reconciliation: dict[str, float | int | None] | None


class RankOut(BaseModel):
    rank: int
    id: str
    value: float


class RankingOut(BaseModel):
    scope: str
    kind: str
    items: list[RankOut]


class AlarmOut(BaseModel):
    id: int
    meter_id: str
    enterprise_id: int | None
    kind: str = Field(description="spike, level_shift, base_load_creep, flat_line, impossible,"
                                  " missing")
    start: datetime
    end: datetime | None
    severity: str
    state: str = Field(description="open, acknowledged or closed")
    detail: dict[str, Any]
    updated_at: datetime


class AlarmState(BaseModel):
    state: str = Field(pattern="^(acknowledged|closed)$")


class ParkOut(BaseModel):
    code: str
    name: str
    synthetic: bool
    bbox: list[float] | None = None
    first_month: datetime | None = None
    last_month: datetime | None = None


class ParkMapOut(FeatureCollection):
    """The park's occupied buildings with ``kwh``, ``floor_area_m2``, ``kwh_per_m2`` and their
    ``enterprises`` for [start, end)."""

    park_code: str
    kind: str
    start: datetime
    end: datetime
    max_kwh: float | None = None


class RecomputeCounts(BaseModel):
    """What an energy recompute job did (``GET /jobs/{id}/result``)."""

    meters: int = Field(description="meter chunks taken off the queue (a meter with more "
                                    "queued days than a chunk's is counted once a chunk)")
    days: int
    intervals: int
    alarms: int
