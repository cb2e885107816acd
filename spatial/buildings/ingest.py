"""Importing building footprints from GeoJSON, GeoPackage, Shapefile and OpenStreetMap.

Every row is kept as read in ``building_source`` (attributes as JSON, geometry in EPSG:4326).
A file is a full snapshot of its source: rows whose geometry and attributes did not change are
left alone, changed rows are updated, rows gone from the file are deleted, so a later
conflation only redoes what changed. Rows that cannot be used are reported, never dropped
silently.
"""

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from psycopg import Connection

from address.errors import BadRequest
from address.report import ImportReport
from address.transactions import require_transaction
from spatial.vector import read_vector

OSM_SUFFIXES = (".osm", ".pbf")
OSM_KEEP = re.compile(r"^(building(:.*)?|height|min_height|name|addr:.*|roof:.*|levels)$")
_OTHER_TAGS = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
ID_COLUMNS = ("source_id", "id", "osm_id", "osm_way_id", "fid", "FID", "OBJECTID")


def read_footprints(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """The polygons of a file as a GeoDataFrame in EPSG:4326 with a ``source_id`` column."""
    osm = path.name.endswith(OSM_SUFFIXES)
    frame = read_vector(path, layer="multipolygons" if osm else layer, require_crs=True).frame
    if osm:
        frame = _osm_buildings(frame)
    id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
    ids = frame[id_column] if id_column else pd.Series(np.arange(1, len(frame) + 1))
    frame["source_id"] = [str(v) for v in ids]
    return frame


def _osm_buildings(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Closed ways and multipolygon relations with a building tag, their useful tags kept."""
    frame = frame[frame["building"].notna()].copy()
    ids = [f"w{w}" if pd.notna(w) else f"r{r}"
           for w, r in zip(frame["osm_way_id"], frame["osm_id"], strict=True)]
    tags = [_osm_tags(row) for row in frame.drop(columns="geometry").to_dict("records")]
    out = gpd.GeoDataFrame(pd.DataFrame(tags), geometry=frame.geometry.values, crs=frame.crs)
    out["source_id"] = ids
    return out


def _osm_tags(row: dict[str, Any]) -> dict[str, Any]:
    tags = {k: v for k, v in row.items() if v is not None and not pd.isna(v)}
    tags.update(_OTHER_TAGS.findall(str(tags.pop("other_tags", ""))))
    return {k: v for k, v in tags.items() if OSM_KEEP.match(k)}


def _attributes(row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key in ("geometry", "source_id") or value is None:
            continue
        if isinstance(value, float) and np.isnan(value):
            continue
        out[key] = value.item() if isinstance(value, np.generic) else value
    return out


def _prepared_rows(frame: gpd.GeoDataFrame, report: ImportReport) -> list[tuple[str, ...]]:
    geoms = np.asarray(frame.geometry.values, dtype=object)
    fixed = shapely.make_valid(geoms)
    polygons = shapely.get_type_id(fixed)
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    records = frame.drop(columns="geometry").to_dict("records")
    for i, record in enumerate(records):
        sid = str(record["source_id"])
        geom = _polygonal(fixed[i], int(polygons[i]))
        if geom is None or geom.area == 0:
            report.fail(i + 1, "not a polygon", sid)
            continue
        if sid in seen:
            report.fail(i + 1, "duplicate id", sid)
            continue
        seen.add(sid)
        attrs = json.dumps(_attributes(record), ensure_ascii=False, sort_keys=True, default=str)
        wkb = shapely.to_wkb(geom, hex=True)
        digest = hashlib.md5((wkb + attrs).encode()).hexdigest()
        rows.append((sid, attrs, digest, wkb))
    return rows


def _polygonal(geom: Any, type_id: int) -> shapely.MultiPolygon | None:
    if type_id == 6:
        return geom
    if type_id == 3:
        return shapely.MultiPolygon([geom])
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polys) if polys else None


_MERGE = """
WITH incoming AS (SELECT * FROM _bsrc),
upd AS (
    UPDATE building_source b SET attributes = i.attributes::jsonb, digest = i.digest,
        geom = ST_SetSRID(i.geom::geometry, 4326), imported_at = now()
    FROM incoming i WHERE b.source = %(source)s AND b.source_id = i.source_id
      AND b.digest <> i.digest
    RETURNING 1),
ins AS (
    INSERT INTO building_source (source, source_id, attributes, digest, geom)
    SELECT %(source)s, i.source_id, i.attributes::jsonb, i.digest,
           ST_SetSRID(i.geom::geometry, 4326)
    FROM incoming i
    WHERE NOT EXISTS (SELECT 1 FROM building_source b
                      WHERE b.source = %(source)s AND b.source_id = i.source_id)
    RETURNING 1),
del AS (
    DELETE FROM building_source b WHERE b.source = %(source)s
      AND NOT EXISTS (SELECT 1 FROM incoming i WHERE i.source_id = b.source_id)
    RETURNING 1)
SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM ins), (SELECT count(*) FROM del)
"""


def store_footprints(conn: Connection, *, frame: gpd.GeoDataFrame, source: str) -> ImportReport:
    """Replace the rows of ``source`` with ``frame`` (EPSG:4326, ``source_id``), in one go; the
    report counts rows ``inserted``, ``updated``, ``unchanged`` and ``deleted``."""
    if not source.strip():
        raise BadRequest("a source name is required")
    report = ImportReport(source=source, read=len(frame))
    rows = _prepared_rows(frame, report)
    require_transaction(conn, "store_footprints")
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS _bsrc")
        cur.execute("CREATE TEMP TABLE _bsrc (source_id text, attributes text, digest text,"
                    " geom text) ON COMMIT DROP")
        with cur.copy("COPY _bsrc FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(_MERGE, {"source": source})
        counts = cur.fetchone()
    assert counts is not None
    updated, inserted, deleted = (int(c) for c in counts)
    report.imported = len(rows)
    report.counts.update(inserted=inserted, updated=updated,
                         unchanged=len(rows) - updated - inserted, deleted=deleted)
    return report


def import_buildings(conn: Connection, *, path: Path, source: str,
                     layer: str | None = None) -> ImportReport:
    """Read a footprint file and make it the current snapshot of ``source``."""
    return store_footprints(conn, frame=read_footprints(path, layer=layer), source=source)
