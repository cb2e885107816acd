"""Query-parameter groups shared by routes, as dependencies (TiTiler's ``dependencies.py``).

Each group is a small dataclass built once at the edge with ``Depends()``; ``as_dict()`` gives
its values as keyword arguments. Bad values answer 400 (a parser's ``BadRequest``) or 422
(FastAPI's bounds), both as problem+json. The dependencies are ``async def`` though they never
wait: FastAPI runs a plain ``def`` dependency on a thread of the pool, one hand-over of the GIL
there and back per parameter group and request (on a busy machine each costs a wait to be
scheduled; bench/geocode_http.py).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from address.errors import BadRequest
from layers.catalog.features import OutputCrs, parse_crs
from spatial.coords import BBox, CoordSys, parse_bbox, parse_coordsys

# Offsets deeper than this are refused: the database would scan and drop every skipped row, and
# anything past int8 cannot be sent at all. Page by a filter (town, time) instead.
MAX_OFFSET = 1_000_000

COORDSYS_HELP = "wgs84 (= CGCS2000), gcj02 (AMap, Tencent) or bd09 (Baidu); of points in and out"


@dataclass(frozen=True)
class CoordsysParams:
    """The caller's coordinate system for every point in and out."""

    coordsys: CoordSys = "wgs84"

    def as_dict(self) -> dict[str, Any]:
        return {"coordsys": self.coordsys}


async def coordsys_params(
    coordsys: Annotated[str, Query(description=COORDSYS_HELP, examples=["gcj02"])] = "wgs84",
) -> CoordsysParams:
    return CoordsysParams(parse_coordsys(coordsys))


Coordsys = Annotated[CoordsysParams, Depends(coordsys_params)]


@dataclass(frozen=True)
class BBoxParams:
    """An optional WGS84 box, west,south,east,north."""

    bbox: BBox | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"bbox": list(self.bbox) if self.bbox else None}


async def bbox_params(
    bbox: Annotated[str | None, Query(description="west,south,east,north (WGS84 degrees)",
                                      examples=["121.08,31.13,121.13,31.17"])] = None,
) -> BBoxParams:
    return BBoxParams(parse_bbox(bbox) if bbox is not None else None)


BBoxDep = Annotated[BBoxParams, Depends(bbox_params)]


@dataclass(frozen=True)
class OgcBBoxParams:
    """OGC API Features' ``bbox`` with ``bbox-crs`` (axis order and units of that CRS)."""

    bbox: BBox | None
    bbox_crs: OutputCrs

    def as_dict(self) -> dict[str, Any]:
        return {"bbox": self.bbox, "bbox_crs": self.bbox_crs}


async def ogc_bbox_params(
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="default CRS84")] = None,
) -> OgcBBoxParams:
    box = parse_bbox(bbox, degrees=False) if bbox is not None else None
    return OgcBBoxParams(box, parse_crs(bbox_crs))


OgcBBox = Annotated[OgcBBoxParams, Depends(ogc_bbox_params)]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "offset": self.offset}


def paging(default: int = 100, maximum: int = 1000) -> Callable[..., Awaitable[Paging]]:
    """A ``limit``/``offset`` dependency with these bounds (offset at most ``MAX_OFFSET``)."""

    async def dependency(
        limit: Annotated[int, Query(ge=1, le=maximum, description="rows per page")] = default,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
    ) -> Paging:
        return Paging(limit, offset)

    return dependency


def offset_of(page: int, page_size: int) -> int:
    """The offset of a 1-based page, within the same bound as ``offset``."""
    offset = (page - 1) * page_size
    if offset > MAX_OFFSET:
        raise BadRequest(f"page {page} is past the deepest offset served ({MAX_OFFSET:,} rows);"
                         " narrow the query by date or area")
    return offset


PagingDep = Annotated[Paging, Depends(paging())]


@dataclass(frozen=True)
class TownParams:
    """``towncode`` (AMap's name); ``town_code`` is its deprecated spelling."""

    towncode: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"towncode": self.towncode}


async def town_params(
    towncode: Annotated[str | None, Query(description="a 街镇's 9-digit code")] = None,
    town_code: Annotated[str | None, Query(deprecated=True,
                                           description="deprecated: use towncode")] = None,
) -> TownParams:
    if towncode and town_code and towncode != town_code:
        raise BadRequest("towncode and town_code disagree; give towncode only")
    return TownParams(towncode or town_code)


Town = Annotated[TownParams, Depends(town_params)]
