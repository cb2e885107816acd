"""Mapbox vector tiles straight from PostGIS (ST_AsMVT), one or several layers per tile.

Per-zoom generalisation: features smaller than a 256-px pixel at this zoom are left out (catalog
layers keep a ``_minzoom`` column for that, indexed), and ST_AsMVTGeom snaps to the 4096 grid and
drops sub-pixel vertices. Catalog layers keep their geometry in EPSG:3857 too, so a tile needs no
per-feature transform; built-ins are filtered in 4326 and transformed.
"""

import math
from dataclasses import dataclass

from psycopg import Connection, sql

from address.errors import BadRequest
from layers.catalog.collections import Collection

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 24


@dataclass(frozen=True)
class TileRequest:
    z: int
    x: int
    y: int
    fields: tuple[str, ...] | None = None  # None: every field

    def check(self) -> "TileRequest":
        if not 0 <= self.z <= MAX_ZOOM or not (0 <= self.x < 2**self.z and 0 <= self.y < 2**self.z):
            raise BadRequest(f"no tile {self.z}/{self.x}/{self.y}")
        return self


def _selected(collection: Collection, fields: tuple[str, ...] | None) -> list[str]:
    if fields is None:
        return collection.field_names
    return [f for f in collection.field_names if f in fields]


def _columns(collection: Collection, fields: tuple[str, ...] | None) -> list[sql.Composable]:
    """The feature id, the stored attributes and the computed ones."""
    names = _selected(collection, fields)
    if collection.feature_id_column and collection.feature_id_column not in names:
        names.insert(0, collection.feature_id_column)
    columns: list[sql.Composable] = [sql.SQL("t.{}").format(sql.Identifier(n)) for n in names]
    columns += [sql.SQL("{} AS {}").format(sql.SQL(expression), sql.Identifier(name))
                for name, expression in collection.tile_columns
                if fields is None or name in fields]
    return columns


def _layer_sql(collection: Collection, tile: TileRequest) -> sql.Composable:
    # OFFSET 0 keeps the subquery whole: otherwise the planner pushes "mvt_geom IS NOT NULL" into
    # it and ST_AsMVTGeom runs twice per feature.
    env = sql.SQL("ST_TileEnvelope({}, {}, {})").format(
        sql.Literal(tile.z), sql.Literal(tile.x), sql.Literal(tile.y))
    margin = sql.SQL("ST_TileEnvelope({}, {}, {}, margin => {})").format(
        sql.Literal(tile.z), sql.Literal(tile.x), sql.Literal(tile.y),
        sql.Literal(BUFFER / EXTENT))
    if collection.geom_3857 is not None:
        overlaps = sql.SQL("{} && {}").format(collection.geom_3857, margin)
    else:
        overlaps = sql.SQL("{} && ST_Transform({}, 4326)").format(
            sql.Identifier(collection.geom_column), margin)
    clauses = [collection.where, overlaps]
    if collection.minzoom_column:
        clauses.append(sql.SQL("{} <= {}").format(
            sql.Identifier(collection.minzoom_column), sql.Literal(tile.z)))
    columns = _columns(collection, tile.fields)
    feature_id = collection.feature_id_column
    return sql.SQL(
        "(SELECT coalesce(ST_AsMVT(m, {name}, {extent}, 'mvt_geom'{fid}), ''::bytea) FROM"
        " (SELECT ST_AsMVTGeom({web}, {env}, {extent}, {buffer}, true) AS mvt_geom{sep}{cols}"
        "  FROM {table} t WHERE {where} OFFSET 0) m WHERE mvt_geom IS NOT NULL)"
    ).format(
        name=sql.Literal(collection.id), extent=sql.Literal(EXTENT),
        fid=sql.SQL(", {}").format(sql.Literal(feature_id)) if feature_id else sql.SQL(""),
        web=collection.web_geometry, env=env, buffer=sql.Literal(BUFFER),
        sep=sql.SQL(", ") if columns else sql.SQL(""), cols=sql.SQL(", ").join(columns),
        table=collection.table, where=sql.SQL(" AND ").join(clauses))


def render_tile(conn: Connection, *, collections: list[Collection], tile: TileRequest) -> bytes:
    """The tile's MVT bytes (uncompressed): one MVT layer per collection, in order."""
    parts = sql.SQL(" || ").join(_layer_sql(c, tile.check()) for c in collections)
    row = conn.execute(sql.SQL("SELECT {}").format(parts)).fetchone()
    assert row is not None
    return bytes(row[0] or b"")


WORLD = [-180.0, -85.0511, 180.0, 85.0511]


def _fit_zoom(bounds: list[float]) -> int:
    """The zoom at which the bounds about fill a 512-px view."""
    span = max(bounds[2] - bounds[0], (bounds[3] - bounds[1]) * 1.2, 1e-6)
    return max(0, min(16, int(math.log2(360.0 / span))))


def _union(boxes: list[list[float]]) -> list[float]:
    return [min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes)]


def tilejson(collections: list[Collection], *, tiles_url: str,
             bounds: list[list[float] | None]) -> dict[str, object]:
    """TileJSON 3.0.0 for a set of collections served as one tile source; ``bounds`` are each
    collection's (None: unknown or empty)."""
    boxes = [b for b in bounds if b]
    box = _union(boxes) if boxes else WORLD
    attribution = " · ".join(dict.fromkeys(c.attribution for c in collections if c.attribution))
    return {
        "tilejson": "3.0.0",
        "name": ",".join(c.id for c in collections),
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": 22,
        "bounds": box,
        "center": [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, _fit_zoom(box) if boxes else 0],
        "attribution": attribution,
        "vector_layers": [
            {"id": c.id, "description": c.title, "minzoom": 0, "maxzoom": 22,
             "fields": {**{f["name"]: f["type"] for f in c.fields},
                        **{name: "computed" for name, _ in c.tile_columns}}}
            for c in collections
        ],
    }
