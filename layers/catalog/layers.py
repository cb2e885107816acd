"""The layer catalog: metadata, access level and versions of each uploaded layer.

Every version of a layer's features is a table ``layers."<name>__v<n>"``; the catalog row points
at the current one and the older ones stay until the layer is deleted.
"""

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from psycopg import Connection, sql
from psycopg.rows import dict_row

from address.errors import BadRequest, NotFound
from address.transactions import require_transaction
from layers.catalog.access import check_level

SCHEMA = "layers"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_EDITABLE = ("title", "description", "access_level", "owner", "source")


@dataclass(frozen=True)
class Layer:
    id: int
    name: str
    title: str
    description: str
    kind: str
    access_level: str
    owner: str
    source: str
    table_name: str
    crs: str
    geometry_type: str
    bbox: list[float] | None
    feature_count: int
    fields: list[dict[str, str]]
    datetime_field: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    schema: str = SCHEMA
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> sql.Identifier:
        return table_ident(self.table_name)

    @property
    def cache_token(self) -> str:
        """Changes whenever the features or metadata change: part of every tile cache key."""
        return f"{self.version}.{self.updated_at.timestamp():.6f}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["extra"]
        return data


def table_ident(table_name: str) -> sql.Identifier:
    return sql.Identifier(SCHEMA, table_name)


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadRequest(
            f"bad layer name {name!r}: lower-case letters, digits and _, starting with a letter,"
            " at most 48 characters")
    return name


def version_table(name: str, version: int) -> str:
    return f"{name}__v{version}"


_COLUMNS = sql.SQL(
    "id, name, title, description, kind, access_level, owner, source, table_name, crs,"
    " geometry_type, bbox, feature_count, fields, datetime_field, version, created_at, updated_at"
)


def _layer(row: dict[str, Any]) -> Layer:
    return Layer(**row)


def find_layer(conn: Connection, *, name: str) -> Layer | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            sql.SQL("SELECT {} FROM layer WHERE name = %s").format(_COLUMNS), [name]
        ).fetchone()
    return None if row is None else _layer(row)


def get_layer(conn: Connection, *, name: str) -> Layer:
    layer = find_layer(conn, name=name)
    if layer is None:
        raise NotFound(f"no layer named {name!r}")
    return layer


def list_layers(conn: Connection, *, levels: tuple[str, ...]) -> list[Layer]:
    """The layers of the given access levels, by name."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            sql.SQL("SELECT {} FROM layer WHERE access_level = ANY(%s) ORDER BY name").format(
                _COLUMNS), [list(levels)],
        ).fetchall()
    return [_layer(r) for r in rows]


def list_versions(conn: Connection, *, name: str) -> list[dict[str, Any]]:
    layer = get_layer(conn, name=name)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            """SELECT version, table_name, mode, feature_count, report, created_by, created_at,
                      version = %s AS current
               FROM layer_version WHERE layer_id = %s ORDER BY version DESC""",
            [layer.version, layer.id],
        ).fetchall()
    return [dict(r) for r in rows]


def update_metadata(conn: Connection, *, name: str, changes: dict[str, Any]) -> Layer:
    """Change title, description, access level, owner or source; bumps ``updated_at``."""
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise BadRequest(f"cannot change {', '.join(sorted(unknown))}: editable are "
                         f"{', '.join(_EDITABLE)}")
    if "access_level" in changes:
        check_level(changes["access_level"])
    get_layer(conn, name=name)
    if changes:
        sets = sql.SQL(", ").join(
            sql.SQL("{} = %s").format(sql.Identifier(k)) for k in changes)
        conn.execute(sql.SQL("UPDATE layer SET {}, updated_at = clock_timestamp() WHERE name = %s")
                     .format(sets), [*changes.values(), name])
    return get_layer(conn, name=name)


def delete_layer(conn: Connection, *, name: str) -> None:
    """Drop the layer with every version table."""
    layer = get_layer(conn, name=name)
    require_transaction(conn, "delete_layer")
    tables = conn.execute(
        "SELECT table_name FROM layer_version WHERE layer_id = %s", [layer.id]).fetchall()
    for (table,) in tables:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table_ident(table)))
    conn.execute("DELETE FROM layer WHERE id = %s", [layer.id])
