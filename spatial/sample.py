"""Loading the sample district from ``data/sample``: admin areas and the 850 real addresses.

Loading twice changes nothing: admin areas are upserted, and the addresses go through the
register's importer (source ``amap_covid2022``), which matches a second load to the first.
Points are AMap's GCJ-02 converted to WGS84 with the exact inverse.
"""

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from address.register.imports.chunk import ImportOptions
from address.register.imports.report import import_rows
from address.register.sources import SourceRow
from address.transactions import require_transaction
from spatial.basemap import load_basemap
from spatial.coords import gcj02_to_wgs84

DISTRICT_FILE = "qingpu_district_amap_wgs84.geojson"
TOWNS_FILE = "qingpu_towns_2022_wgs84.geojson"
UNITS_FILE = "qingpu_admin_units_nbs2023.csv"
COMMUNITIES_FILE = "communities_synthetic.geojson"
GRID_FILE = "grid_synthetic.geojson"
# The towns and districts around Qingpu, so that a point just across the boundary is named
# (闵行区新虹街道) rather than unknown; they are context, not part of the register.
NEIGHBOUR_DISTRICTS_FILE = "neighbour_districts_amap_wgs84.geojson"
NEIGHBOUR_TOWNS_FILE = "neighbour_towns_2022_wgs84.geojson"
ADDRESSES_FILE = "qingpu_addresses_covid2022_amap.csv"
ADDRESS_SOURCE = "amap_covid2022"

_UPSERT = """
INSERT INTO admin_area (code, name, level, parent_code, synthetic, source, geom)
VALUES (%s, %s, %s, %s, %s, %s, ST_Multi(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))))
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
    parent_code = EXCLUDED.parent_code, synthetic = EXCLUDED.synthetic,
    source = EXCLUDED.source, geom = EXCLUDED.geom
"""


def _features(path: Path) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def _unit_names(sample_dir: Path) -> dict[str, dict[str, str]]:
    with (sample_dir / UNITS_FILE).open(encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def sample_district(sample_dir: Path) -> str:
    """The adcode of the sample's district (its district file holds that one feature)."""
    return str(_features(sample_dir / DISTRICT_FILE)[0]["properties"]["adcode"])


def load_admin_areas(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    """Upsert district, towns, communities and grid; returns counts per level."""
    units = _unit_names(sample_dir)
    rows: list[tuple[object, ...]] = []
    for f in _features(sample_dir / DISTRICT_FILE):
        code = str(f["properties"]["adcode"])
        rows.append((code, units[code]["name"], "district", None, False,
                     f["properties"]["source"], json.dumps(f["geometry"])))
    for f in _features(sample_dir / NEIGHBOUR_DISTRICTS_FILE):
        p = f["properties"]
        rows.append((p["code"], p["name"], "district", None, False, p["source"],
                     json.dumps(f["geometry"])))
    for f in _features(sample_dir / NEIGHBOUR_TOWNS_FILE):
        p = f["properties"]
        rows.append((p["code"], p["name"], "town", p["parent_code"], False, p["source"],
                     json.dumps(f["geometry"])))
    for f in _features(sample_dir / TOWNS_FILE):
        code = f["properties"]["nbs_code"]
        rows.append((code, units[code]["name"], "town", units[code]["parent_code"], False,
                     "Stockard/Shanghai-COVID-2022", json.dumps(f["geometry"])))
    for level, name in (("community", COMMUNITIES_FILE), ("grid", GRID_FILE)):
        for f in _features(sample_dir / name):
            p = f["properties"]
            rows.append((p["code"], p["name"], level, p["parent_code"], True, p["source"],
                         json.dumps(f["geometry"])))
    require_transaction(conn, "load_admin_areas")
    with conn.cursor() as cur:
        cur.executemany(_UPSERT, rows)
    district = sample_district(sample_dir)
    ours = [row for row in rows if str(row[0]).startswith(district)]
    return {**Counter(str(row[2]) for row in ours), "neighbour_areas": len(rows) - len(ours)}


def _address_rows(path: Path) -> list[SourceRow]:
    """The published address is district + address; complete_address is AMap's own match
    (often only the road, 88 times empty) and stays in the raw record."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            lng, lat = gcj02_to_wgs84(float(row["gcj02_lng"]), float(row["gcj02_lat"]))
            text = f"上海市{row['district']}{row['address']}"
            rows.append(SourceRow(line, text, float(lng), float(lat), dict(row)))
    return rows


def load_sample_addresses(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    """Import the 850 real addresses as source ``amap_covid2022`` (after the admin areas)."""
    # the founding source: its roads and places are the register's, not a steward's to review
    options = ImportOptions(source=ADDRESS_SOURCE, filename=ADDRESSES_FILE, coordsys="gcj02",
                            districts=(sample_district(sample_dir),), review_new_places=False)
    report = import_rows(conn, options, _address_rows(sample_dir / ADDRESSES_FILE))
    if report.failed:
        raise ValueError(f"sample rows failed to import: {report.failed_rows[:3]}")
    return {"source_records": report.imported, "addresses": _count_addresses(conn)}


def _count_addresses(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) FROM address WHERE valid_to IS NULL").fetchone()
    return int(row[0]) if row else 0


def load_sample(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    counts = load_admin_areas(conn, sample_dir=sample_dir)
    counts.update(load_sample_addresses(conn, sample_dir=sample_dir))
    from spatial.buildings.sample import load_buildings_sample  # synthetic buildings, rasters

    counts.update(load_buildings_sample(conn, sample_dir=sample_dir))
    counts.update(load_basemap(conn, sample_dir=sample_dir))
    return counts


def sample_digest(sample_dir: Path) -> str:
    """SHA-256 over every file of the sample (names and bytes), to tell a changed sample."""
    digest = hashlib.sha256()
    for path in sorted(p for p in sample_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(sample_dir)).encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_sample_once(
    conn: Connection, *, sample_dir: Path, force: bool = False
) -> tuple[dict[str, Any], bool]:
    """Load the sample unless this very sample was loaded before; (counts, loaded now)."""
    digest = sample_digest(sample_dir)
    row = conn.execute("SELECT digest, counts FROM dataset_load WHERE name = 'sample'").fetchone()
    if row and row[0] == digest and not force:
        return dict(row[1]), False
    counts = load_sample(conn, sample_dir=sample_dir)
    conn.execute(
        """INSERT INTO dataset_load (name, digest, counts) VALUES ('sample', %s, %s)
           ON CONFLICT (name) DO UPDATE SET digest = EXCLUDED.digest, counts = EXCLUDED.counts,
               loaded_at = now()""", [digest, Jsonb(counts)])
    return counts, True
