"""OGC API Features queries over a collection: bbox (any supported CRS), datetime, property
filters, paging, and output in CRS84, EPSG:4326, EPSG:4490 or EPSG:4549 (Part 2).

Feature JSON is built by PostgreSQL and passed through as text: no per-feature Python work.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from psycopg import Connection, sql
from pyproj import CRS, Transformer

from address.errors import BadRequest, NotFound
from layers.catalog.collections import Collection

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
SUPPORTED_SRIDS = (4326, 4490, 4549)
SUPPORTED_CRS = (CRS84, *(f"{EPSG}{s}" for s in SUPPORTED_SRIDS))


@dataclass(frozen=True)
class OutputCrs:
    uri: str
    srid: int
    flip: bool  # the CRS's axis order is north, east (all EPSG ones here)

    @property
    def precision(self) -> int:
        return 3 if self.srid == 4549 else 7


@lru_cache
def parse_crs(uri: str | None) -> OutputCrs:
    if not uri or uri in (CRS84, "CRS84", "OGC:CRS84"):
        return OutputCrs(CRS84, 4326, False)
    code = uri.removeprefix(EPSG).removeprefix("EPSG:")
    if not re.fullmatch(r"[0-9]{1,6}", code) or int(code) not in SUPPORTED_SRIDS:
        raise BadRequest(f"unsupported crs {uri!r}: use one of {', '.join(SUPPORTED_CRS)}")
    srid = int(code)
    north_first = CRS.from_epsg(srid).axis_info[0].direction == "north"
    return OutputCrs(f"{EPSG}{srid}", srid, north_first)


@dataclass
class ItemsQuery:
    limit: int = 10
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: OutputCrs = field(default_factory=lambda: parse_crs(None))
    datetime: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    crs: OutputCrs = field(default_factory=lambda: parse_crs(None))


@dataclass(frozen=True)
class ItemsPage:
    number_matched: int
    number_returned: int
    features_json: str


def _bbox_wgs84(bbox: tuple[float, float, float, float], crs: OutputCrs) -> list[float]:
    a, b, c, d = (bbox[1], bbox[0], bbox[3], bbox[2]) if crs.flip else bbox
    if crs.srid in (4326, 4490):
        return [a, b, c, d]
    transform = Transformer.from_crs(crs.srid, 4326, always_xy=True)
    xmin, ymin, xmax, ymax = transform.transform_bounds(a, b, c, d)
    return [xmin, ymin, xmax, ymax]


def _parse_instant(text: str) -> datetime | None:
    if text in ("", ".."):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"bad datetime {text!r}: RFC 3339, or an interval a/b with ..") from None


def _where(collection: Collection, query: ItemsQuery) -> tuple[sql.Composable, list[object]]:
    clauses: list[sql.Composable] = [collection.where]
    params: list[object] = []
    geom = sql.Identifier(collection.geom_column)
    if query.bbox is not None:
        clauses.append(sql.SQL("{} && ST_MakeEnvelope(%s, %s, %s, %s, 4326)").format(geom))
        params += _bbox_wgs84(query.bbox, query.bbox_crs)
    if query.datetime is not None:
        clauses.append(_datetime_clause(collection, query.datetime, params))
    for name, value in query.properties.items():
        if name not in collection.field_names:
            raise BadRequest(f"unknown property {name!r}: queryables are "
                             f"{', '.join(collection.field_names)}")
        clauses.append(sql.SQL("{}::text = %s").format(sql.Identifier(name)))
        params.append(value)
    return sql.SQL(" AND ").join(clauses), params


def _datetime_clause(collection: Collection, value: str, params: list[object]) -> sql.Composable:
    if collection.datetime_field is None:
        raise BadRequest(f"collection {collection.id!r} has no time field to filter by datetime")
    column = sql.Identifier(collection.datetime_field)
    start_text, _, end_text = value.partition("/")
    start = _parse_instant(start_text)
    end = _parse_instant(end_text) if "/" in value else start
    params += [start, start, end, end]
    return sql.SQL("(%s::timestamptz IS NULL OR {c} >= %s) AND (%s::timestamptz IS NULL OR"
                   " {c} <= %s)").format(c=column)


def _feature_sql(collection: Collection, crs: OutputCrs) -> sql.Composable:
    geom: sql.Composable = sql.Identifier(collection.geom_column)
    if crs.srid != 4326:
        geom = sql.SQL("ST_Transform({}, {})").format(geom, sql.Literal(crs.srid))
    if crs.flip:
        geom = sql.SQL("ST_FlipCoordinates({})").format(geom)
    props = sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(n))
                               for n in collection.field_names)
    return sql.SQL(
        "json_build_object('type', 'Feature', 'id', t.{id}, 'geometry',"
        " ST_AsGeoJSON({geom}, {precision})::json,"
        " 'properties', (SELECT row_to_json(p) FROM (SELECT {props}) p))"
    ).format(id=sql.Identifier(collection.id_column), geom=geom,
             precision=sql.Literal(crs.precision), props=props)


def query_items(conn: Connection, *, collection: Collection, query: ItemsQuery) -> ItemsPage:
    """One page of features as a JSON array text, and how many match in all."""
    where, params = _where(collection, query)
    count = conn.execute(sql.SQL("SELECT count(*) FROM {} t WHERE {}").format(
        collection.table, where), params).fetchone()
    rows = conn.execute(sql.SQL(
        "SELECT coalesce(json_agg(f), '[]')::text, count(*) FROM (SELECT {feature} AS f"
        " FROM {table} t WHERE {where} ORDER BY t.{id} LIMIT %s OFFSET %s) s"
    ).format(feature=_feature_sql(collection, query.crs), table=collection.table, where=where,
             id=sql.Identifier(collection.id_column)),
        [*params, query.limit, query.offset]).fetchone()
    assert count is not None and rows is not None
    return ItemsPage(int(count[0]), int(rows[1]), rows[0])


def get_item(conn: Connection, *, collection: Collection, fid: str, crs: OutputCrs) -> str:
    """One feature as JSON text; NotFound if the id is not in the collection."""
    types = {f["name"]: f["type"] for f in collection.fields}
    numeric = collection.id_column == "fid" or types.get(collection.id_column) == "bigint"
    row = None
    if not numeric or re.fullmatch(r"[0-9]{1,18}", fid):  # ASCII digits within int8
        row = conn.execute(sql.SQL(
            "SELECT {feature}::text FROM {table} t WHERE {where} AND t.{id} = %s"
        ).format(feature=_feature_sql(collection, crs), table=collection.table,
                 where=collection.where, id=sql.Identifier(collection.id_column)),
            [int(fid) if numeric else fid]).fetchone()
    if row is None:
        raise NotFound(f"no feature {fid!r} in collection {collection.id!r}")
    return str(row[0])
