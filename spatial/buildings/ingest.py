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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from psycopg import Connection

from address.errors import BadRequest
from address.transactions import require_transaction

OSM_SUFFIXES = (".osm", ".pbf")
OSM_KEEP = re.compile(r"^(building(:.*)?|height|min_height|name|addr:.*|roof:.*|levels)$")
_OTHER_TAGS = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
ID_COLUMNS = ("source_id", "id", "osm_id", "osm_way_id", "fid", "FID", "OBJECTID")


@dataclass
class ImportResult:
    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "read": self.read, "inserted": self.inserted,
                "updated": self.updated, "unchanged": self.unchanged, "deleted": self.deleted,
                "rejected": self.rejected}


def read_footprints(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """The polygons of a file as a GeoDataFrame in EPSG:4326 with a ``source_id`` column."""
    if not path.exists():
        raise BadRequest(f"no such file: {path}")
    try:
        if path.name.endswith(OSM_SUFFIXES):
            frame = _read_osm(path)
        else:
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise BadRequest(f"cannot read {path.name}: {exc}") from None
    if frame.crs is None:
        raise BadRequest(f"{path.name} has no coordinate reference system")
    frame = frame.to_crs(4326)
    id_column = next((c for c in ID_COLUMNS if c in frame.columns), None)
    ids = frame[id_column] if id_column else pd.Series(np.arange(1, len(frame) + 1))
    frame["source_id"] = [str(v) for v in ids]
    return frame


def _read_osm(path: Path) -> gpd.GeoDataFrame:
    """Closed ways and multipolygon relations with a building tag, their useful tags kept."""
    frame = pyogrio.read_dataframe(path, layer="multipolygons")
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


def _prepared_rows(frame: gpd.GeoDataFrame, result: ImportResult) -> list[tuple[str, ...]]:
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
            result.rejected.append({"source_id": sid, "reason": "not a polygon"})
            continue
        if sid in seen:
            result.rejected.append({"source_id": sid, "reason": "duplicate id"})
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


def store_footprints(conn: Connection, *, frame: gpd.GeoDataFrame, source: str) -> ImportResult:
    """Replace the rows of ``source`` with ``frame`` (EPSG:4326, ``source_id``), in one go."""
    if not source.strip():
        raise BadRequest("a source name is required")
    result = ImportResult(source=source, read=len(frame))
    rows = _prepared_rows(frame, result)
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
    result.updated, result.inserted, result.deleted = (int(c) for c in counts)
    result.unchanged = len(rows) - result.updated - result.inserted
    return result


def import_buildings(conn: Connection, *, path: Path, source: str,
                     layer: str | None = None) -> ImportResult:
    """Read a footprint file and make it the current snapshot of ``source``."""
    return store_footprints(conn, frame=read_footprints(path, layer=layer), source=source)
