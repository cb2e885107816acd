"""Collections: what OGC API Features, tiles and quality rules read — catalog layers and a small
registry of built-in tables (admin areas, addresses, buildings).

A built-in is one ``Builtin`` entry in ``BUILTINS``; nothing else needs to change to serve it.
"""

from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection, sql

from address.errors import NotFound
from layers.catalog.layers import Layer, find_layer, list_layers
from spatial.basemap import ATTRIBUTION


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    access_level: str
    table: sql.Composable
    id_column: str
    geom_column: str
    fields: list[dict[str, str]]
    where: sql.Composable = field(default_factory=lambda: sql.SQL("TRUE"))
    geom_3857: sql.Composable | None = None
    minzoom_column: str | None = None
    datetime_field: str | None = None
    bbox: list[float] | None = None
    geometry_type: str = ""
    feature_count: int | None = None
    cache_token: str = ""
    builtin: bool = False
    # tiles only: the integer column that becomes the MVT feature id, and attributes computed
    # from the row (name, SQL expression over the table's columns)
    feature_id_column: str | None = None
    tile_columns: tuple[tuple[str, str], ...] = ()
    attribution: str = ""

    @property
    def web_geometry(self) -> sql.Composable:
        """The geometry in EPSG:3857: stored for layers, transformed for built-ins."""
        if self.geom_3857 is not None:
            return self.geom_3857
        return sql.SQL("ST_Transform({}, 3857)").format(sql.Identifier(self.geom_column))

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "description": self.description,
                "access_level": self.access_level, "bbox": self.bbox,
                "geometry_type": self.geometry_type, "feature_count": self.feature_count,
                "fields": self.fields, "datetime_field": self.datetime_field,
                "builtin": self.builtin}


SAMPLE_ATTRIBUTION = "dizhi sample district (see data/sample/README.md)"


@dataclass(frozen=True)
class Builtin:
    title: str
    table: str
    id_column: str
    geom_column: str
    fields: tuple[tuple[str, str], ...]
    geometry_type: str
    where: str = "TRUE"
    datetime_field: str | None = None
    access_level: str = "public"
    description: str = ""
    feature_id_column: str | None = None
    tile_columns: tuple[tuple[str, str], ...] = ()
    attribution: str = SAMPLE_ATTRIBUTION


BUILTINS: dict[str, Builtin] = {
    "admin_areas": Builtin(
        "行政区划 admin areas", "admin_area", "code", "geom",
        (("code", "text"), ("name", "text"), ("level", "text"), ("parent_code", "text"),
         ("synthetic", "boolean")), "POLYGON",
        description="区 → 街镇 → 居委/村委 → 网格"),
    "addresses": Builtin(
        "标准地址 addresses", "address", "code", "point",
        (("code", "text"), ("canonical", "text"), ("status", "text"), ("town_code", "text"),
         ("community_code", "text"), ("grid_code", "text"), ("valid_from", "timestamptz")),
        "POINT", where="valid_to IS NULL AND point IS NOT NULL", datetime_field="valid_from",
        description="current versions of the standard addresses"),
    "buildings": Builtin(
        "建筑 buildings", "building", "id", "geom",
        (("id", "bigint"), ("floors", "integer"), ("height_m", "double precision"),
         ("height_source", "text"), ("match_kind", "text"), ("updated_at", "timestamptz")),
        "POLYGON", datetime_field="updated_at",
        description="fused building footprints (conflated from the sources), with heights",
        # what the 3D page extrudes and colours by
        feature_id_column="id",
        tile_columns=(("height", "coalesce(height_m, floors * 3.0, 3.0)"),
                      ("use", "coalesce(attributes ->> 'use', '')"), ("unmatched", "unmatched"))),
    "basemap": Builtin(
        "底图 basemap: metro and expressways", "basemap_feature", "id", "geom",
        (("id", "text"), ("kind", "text"), ("name", "text"), ("ref", "text")), "GEOMETRY",
        description="map context: OSM metro lines and stations, expressways",
        attribution=ATTRIBUTION),
}


def _builtin_collection(conn: Connection, cid: str, spec: Builtin) -> Collection | None:
    """The built-in as a collection, or None while its table does not exist."""
    row = conn.execute(
        """SELECT c.oid IS NOT NULL, coalesce(s.n_tup_ins + s.n_tup_upd + s.n_tup_del, 0)
           FROM (SELECT to_regclass(%s) AS oid) c
           LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid""", [spec.table],
    ).fetchone()
    if row is None or not row[0]:
        return None
    return Collection(
        id=cid, title=spec.title, description=spec.description,
        access_level=spec.access_level, table=sql.Identifier(spec.table),
        id_column=spec.id_column, geom_column=spec.geom_column,
        fields=[{"name": n, "type": t} for n, t in spec.fields], where=sql.SQL(spec.where),
        datetime_field=spec.datetime_field, geometry_type=spec.geometry_type,
        cache_token=f"b{row[1]}", builtin=True, feature_id_column=spec.feature_id_column,
        tile_columns=spec.tile_columns, attribution=spec.attribution)


def layer_collection(layer: Layer) -> Collection:
    return Collection(
        id=layer.name, title=layer.title, description=layer.description,
        access_level=layer.access_level, table=layer.table, id_column="fid",
        geom_column="geom", fields=layer.fields, geom_3857=sql.Identifier("_geom3857"),
        minzoom_column="_minzoom", datetime_field=layer.datetime_field, bbox=layer.bbox,
        geometry_type=layer.geometry_type, feature_count=layer.feature_count,
        cache_token=layer.cache_token, feature_id_column="fid", attribution=layer.source)


def get_collection(conn: Connection, *, cid: str) -> Collection:
    """A built-in or a catalog layer by id; NotFound otherwise (access is the caller's check)."""
    spec = BUILTINS.get(cid)
    found = _builtin_collection(conn, cid, spec) if spec else None
    if found is None and spec is None:
        layer = find_layer(conn, name=cid)
        found = layer_collection(layer) if layer else None
    if found is None:
        raise NotFound(f"no collection {cid!r}")
    return found


def list_collections(conn: Connection, *, levels: tuple[str, ...]) -> list[Collection]:
    """Built-ins that exist, then catalog layers, of the given access levels."""
    builtins = [c for cid, spec in BUILTINS.items()
                if (c := _builtin_collection(conn, cid, spec)) and c.access_level in levels]
    return builtins + [layer_collection(layer) for layer in list_layers(conn, levels=levels)]


def collection_bounds(conn: Connection, collection: Collection) -> list[float] | None:
    """The stored bbox, or (built-ins) the extent of the table now; None when empty."""
    if collection.bbox:
        return collection.bbox
    row = conn.execute(sql.SQL(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
        " (SELECT ST_Extent({}) AS e FROM {} WHERE {}) t").format(
            sql.Identifier(collection.geom_column), collection.table, collection.where)
    ).fetchone()
    return [float(v) for v in row] if row and row[0] is not None else None
