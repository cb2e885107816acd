"""Ticket exports (CSV, GeoJSON), watermarked with the exporting key (:mod:`watermark`).

The text is the masked text; every text value and every point carries the mark, so a file that
turns up elsewhere names the key that exported it (``dizhi watermark identify FILE``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from psycopg import Connection

from layers.hotline.tickets import TicketFilter, list_tickets
from layers.hotline.watermark import mark_coordinate, mark_feature_collection, mark_text

COLUMNS = ("id", "service_code", "status", "description", "address_text", "formatted_address",
           "district_code", "town_code", "community_code", "responsible_unit", "requested_at",
           "lng", "lat")
TEXT_COLUMNS = ("description", "address_text", "formatted_address", "responsible_unit")
MAX_ROWS = 50_000


def _rows(conn: Connection, where: TicketFilter) -> list[dict[str, Any]]:
    _, items = list_tickets(conn, where=where)
    rows = []
    for t in items:
        chain = t["admin_chain"]
        rows.append({**t, "district_code": chain["district"]["code"],
                     "town_code": chain["town"]["code"],
                     "community_code": chain["community"]["code"]})
    return rows


def _marked_row(row: dict[str, Any], mark: int) -> list[Any]:
    out = {k: row.get(k) for k in COLUMNS}
    for k in TEXT_COLUMNS:
        value = out[k]
        if isinstance(value, str):
            out[k] = mark_text(value, mark)
    if out["lng"] is not None and out["lat"] is not None:
        out["lng"], out["lat"] = mark_coordinate(out["lng"], out["lat"], mark)
    if out["requested_at"] is not None:
        out["requested_at"] = out["requested_at"].isoformat()
    return [out[k] for k in COLUMNS]


def tickets_csv(conn: Connection, *, where: TicketFilter, mark: int) -> str:
    """The tickets ``where`` selects as CSV (masked text), marked with ``mark``."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for row in _rows(conn, where):
        writer.writerow(_marked_row(row, mark))
    return buf.getvalue()


def tickets_geojson(conn: Connection, *, where: TicketFilter, mark: int) -> str:
    """The tickets ``where`` selects as a GeoJSON FeatureCollection, marked with ``mark``."""
    features = []
    for row in _rows(conn, where):
        props = {k: row.get(k) for k in COLUMNS if k not in ("lng", "lat")}
        props["requested_at"] = props["requested_at"].isoformat() if props["requested_at"] \
            else None
        geometry = ({"type": "Point", "coordinates": [row["lng"], row["lat"]]}
                    if row["lng"] is not None else None)
        features.append({"type": "Feature", "id": row["id"], "geometry": geometry,
                         "properties": props})
    return mark_feature_collection({"type": "FeatureCollection", "features": features}, mark,
                                   TEXT_COLUMNS)
