"""Writing features into a layer's version table and keeping the catalog in step.

A version table has ``fid``, the attribute columns, ``geom`` (4326), ``_geom3857`` (the same in
web mercator, so tiles need no per-request transform) and ``_minzoom`` (the first zoom at which
the feature is at least one 256-px pixel; below it tiles leave it out). All writes of one upload
run in one transaction: a failed upload leaves nothing behind.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from psycopg import Connection, sql

from address.errors import BadRequest, Conflict
from address.report import ImportReport
from address.transactions import require_transaction
from layers.catalog.access import check_level
from layers.catalog.collections import BUILTINS
from layers.catalog.ingest import read_features
from layers.catalog.layers import (
    Layer,
    check_name,
    find_layer,
    get_layer,
    table_ident,
    version_table,
)
from spatial.vector import VectorLimits

if TYPE_CHECKING:  # imported where a layer is written (a second of the API's start-up)
    import geopandas as gpd
    import pandas as pd

RESERVED = ("fid", "geom", "_geom3857", "_minzoom")
WORLD_M = 40075016.68557849
MODES = ("create", "replace", "append")
STEPS = 3


def _pg_type(series: pd.Series) -> str:
    kind = series.dtype.kind
    if kind == "b":
        return "boolean"
    if kind in "iu":
        return "bigint"
    if kind == "f":
        return "double precision"
    if kind == "M":
        return "timestamptz"
    return "text"


def _column_names(columns: list[str]) -> list[str]:
    """Safe, unique column names (kept in Chinese if they are; always quoted in SQL)."""
    names: list[str] = []
    for raw in columns:
        name = "".join(c for c in str(raw).strip() if c.isprintable() and c != '"') or "field"
        if name.lower() in RESERVED:
            name = f"{name}_"
        base, n = name, 1
        name = _fit_identifier(base)
        while name in names:
            n += 1
            name = _fit_identifier(base, suffix=f"_{n}")
        names.append(name)
    return names


def _fit_identifier(name: str, suffix: str = "", limit: int = 63) -> str:
    """``name`` cut to PostgreSQL's identifier length (63 bytes of UTF-8, not characters: two
    Chinese names equal in their first 21 characters would otherwise become one column),
    then ``suffix``."""
    room = limit - len(suffix.encode())
    return name.encode()[:room].decode("utf-8", "ignore") + suffix


def minzooms(geoms_3857: np.ndarray) -> np.ndarray:
    """The first zoom at which each feature spans a 256-px pixel (points: 0)."""
    bounds = shapely.bounds(geoms_3857)
    size = np.fmax(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    with np.errstate(divide="ignore"):
        zoom = np.ceil(np.log2(WORLD_M / (256.0 * size)))
    return np.clip(np.nan_to_num(zoom, nan=0.0, posinf=0.0), 0, 24).astype(np.int16)


def _create_table(conn: Connection, table: str, fields: list[dict[str, str]]) -> None:
    columns = [sql.SQL("{} {}").format(sql.Identifier(f["name"]), sql.SQL(f["type"]))
               for f in fields]
    conn.execute(sql.SQL(
        "CREATE TABLE {} (fid bigserial PRIMARY KEY, {}geom geometry(Geometry, 4326) NOT NULL,"
        " _geom3857 geometry(Geometry, 3857) NOT NULL, _minzoom smallint NOT NULL)"
    ).format(table_ident(table),
             sql.SQL("").join(sql.SQL("{}, ").format(c) for c in columns)))


def _copy_rows(conn: Connection, table: str, frame: gpd.GeoDataFrame, names: list[str]) -> None:
    """COPY the attributes and both geometries (hex WKB) in one pass."""
    import geopandas as gpd
    import pandas as pd

    geoms = frame.geometry.array
    web = gpd.GeoSeries(geoms, crs=4326).to_crs(3857).array
    data = pd.DataFrame(
        {n: frame[c].to_numpy() for n, c in zip(names, _attribute_columns(frame), strict=True)})
    data["geom"] = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
    data["_geom3857"] = shapely.to_wkb(shapely.set_srid(web, 3857), hex=True, include_srid=True)
    data["_minzoom"] = minzooms(np.asarray(web))
    target = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table_ident(table), sql.SQL(", ").join(sql.Identifier(c) for c in data.columns))
    with conn.cursor() as cur, cur.copy(target) as copy:
        for start in range(0, len(data), 50_000):
            buffer = io.StringIO()
            data.iloc[start:start + 50_000].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())


def _attribute_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [c for c in frame.columns if c != frame.geometry.name]


def _index_table(conn: Connection, table: str) -> None:
    ident = table_ident(table)
    for column, method in (("geom", "gist"), ("_geom3857", "gist"), ("_minzoom", "btree")):
        conn.execute(sql.SQL("CREATE INDEX {} ON {} USING {} ({})").format(
            sql.Identifier(f"{table}_{column.strip('_')}_idx"[:63]), ident, sql.SQL(method),
            sql.Identifier(column)))
    conn.execute(sql.SQL("ANALYZE {}").format(ident))


def _fields(frame: gpd.GeoDataFrame, names: list[str]) -> list[dict[str, str]]:
    return [{"name": n, "type": _pg_type(frame[c])}
            for n, c in zip(names, _attribute_columns(frame), strict=True)]


def write_version(conn: Connection, *, table: str, frame: gpd.GeoDataFrame,
                  previous: Layer | None = None,
                  progress: Callable[[int], None] | None = None) -> list[dict[str, str]]:
    """A new version table: the previous version's rows (append) plus ``frame``'s."""
    names = _column_names(_attribute_columns(frame))
    fields = _fields(frame, names)
    if previous is not None:
        fields = _merge_fields(previous.fields, fields)
    _create_table(conn, table, fields)
    if previous is not None:
        cols = sql.SQL(", ").join(
            sql.Identifier(c) for c in [f["name"] for f in previous.fields] + list(RESERVED[1:]))
        conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ORDER BY fid").format(
            table_ident(table), cols, cols, previous.table))
    _copy_rows(conn, table, frame, names)
    if progress:
        progress(2)
    _index_table(conn, table)
    return fields


def _merge_fields(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    types = {f["name"]: f["type"] for f in old}
    merged = list(old)
    for f in new:
        if f["name"] not in types:
            merged.append(f)
        elif types[f["name"]] != f["type"]:
            raise BadRequest(f"cannot append: field {f['name']!r} is {f['type']} in the file but"
                             f" {types[f['name']]} in the layer")
    return merged


def _summary(conn: Connection, table: str) -> tuple[list[float] | None, int, str]:
    row = conn.execute(sql.SQL(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n, t FROM"
        " (SELECT ST_Extent(geom) AS e, count(*) AS n,"
        "  string_agg(DISTINCT replace(GeometryType(geom), 'MULTI', ''), ',') AS t FROM {}) s"
    ).format(table_ident(table))).fetchone()
    assert row is not None
    bbox = None if row[0] is None else [round(float(v), 7) for v in row[:4]]
    return bbox, int(row[4]), row[5] or ""


def _datetime_field(fields: list[dict[str, str]]) -> str | None:
    return next((f["name"] for f in fields if f["type"] == "timestamptz"), None)


def add_layer(
    conn: Connection, *, path: Path, name: str, filename: str | None = None,
    title: str | None = None, description: str = "", access_level: str = "internal",
    owner: str = "", source: str = "", mode: str = "create", coordsys: str = "wgs84",
    crs: str | None = None, lng_field: str | None = None, lat_field: str | None = None,
    encoding: str | None = None, progress: Callable[[int], None] | None = None,
    limits: VectorLimits | None = None,
) -> tuple[Layer, ImportReport]:
    """Create a layer from a file, or add a version to one (replace or append), inside the
    caller's transaction.

    ``progress`` hears the steps done out of ``STEPS``: read and repaired, written, indexed.
    """
    require_transaction(conn, "add_layer")
    step = progress or (lambda done: None)
    check_name(name)
    check_level(access_level)
    if name in BUILTINS:
        raise Conflict(f"{name!r} is a built-in collection: choose another name")
    if mode not in MODES:
        raise BadRequest(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
    frame, report = read_features(path, filename=filename, coordsys=coordsys, crs=crs,
                                  lng_field=lng_field, lat_field=lat_field, encoding=encoding,
                                  limits=limits)
    step(1)
    current = find_layer(conn, name=name)
    if mode == "create" and current is not None:
        raise Conflict(f"layer {name!r} exists: upload with mode=replace or mode=append")
    if mode != "create" and current is None:
        raise BadRequest(f"no layer {name!r} to {mode}: upload with mode=create")
    version = 1 if current is None else current.version + 1
    table = version_table(name, version)
    fields = write_version(conn, table=table, frame=frame,
                           previous=current if mode == "append" else None, progress=step)
    bbox, count, geometry_type = _summary(conn, table)
    meta = {"table_name": table, "crs": report.details["source_crs"],
            "geometry_type": geometry_type,
            "bbox": bbox, "feature_count": count, "fields": json.dumps(fields),
            "datetime_field": _datetime_field(fields), "version": version}
    if current is None:
        layer_id = _insert_layer(conn, name=name, title=title or name, description=description,
                                 access_level=access_level, owner=owner, source=source,
                                 meta=meta)
    else:
        layer_id = current.id
        _update_layer(conn, layer_id=layer_id, meta=meta, title=title, source=source)
    conn.execute(
        "INSERT INTO layer_version (layer_id, version, table_name, mode, feature_count,"
        " report, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        [layer_id, version, table, mode, count, json.dumps(report.as_dict()), owner])
    return get_layer(conn, name=name), report


def _insert_layer(conn: Connection, *, name: str, title: str, description: str,
                  access_level: str, owner: str, source: str, meta: dict[str, Any]) -> int:
    row = conn.execute(
        "INSERT INTO layer (name, title, description, access_level, owner, source, table_name,"
        " crs, geometry_type, bbox, feature_count, fields, datetime_field, version)"
        " VALUES (%(name)s, %(title)s, %(description)s, %(access_level)s, %(owner)s, %(source)s,"
        " %(table_name)s, %(crs)s, %(geometry_type)s, %(bbox)s, %(feature_count)s, %(fields)s,"
        " %(datetime_field)s, %(version)s) RETURNING id",
        {"name": name, "title": title, "description": description, "access_level": access_level,
         "owner": owner, "source": source, **meta},
    ).fetchone()
    assert row is not None
    return int(row[0])


def _update_layer(conn: Connection, *, layer_id: int, meta: dict[str, Any], title: str | None,
                  source: str) -> None:
    conn.execute(
        "UPDATE layer SET table_name = %(table_name)s, crs = %(crs)s,"
        " geometry_type = %(geometry_type)s, bbox = %(bbox)s, feature_count = %(feature_count)s,"
        " fields = %(fields)s, datetime_field = %(datetime_field)s, version = %(version)s,"
        " title = coalesce(%(title)s, title), source = coalesce(nullif(%(source)s, ''), source),"
        " updated_at = clock_timestamp() WHERE id = %(id)s",
        {**meta, "title": title, "source": source, "id": layer_id})
