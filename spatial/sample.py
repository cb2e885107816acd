"""Loading the sample district from ``data/sample``: admin areas and the 850 real addresses.

Everything is an upsert, so loading twice changes nothing. Every address CSV row is kept as an
``address_source_record`` (source ``amap_covid2022``, with its line number); rows with the same
address key would be one standard address (the 850 sample rows are 850 distinct addresses). Points are AMap's GCJ-02 converted to WGS84 with the exact
inverse; the admin codes of an address come from point-in-polygon.
"""

import csv
import hashlib
import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from psycopg import Connection

from spatial.coords import gcj02_to_wgs84

DISTRICT_FILE = "qingpu_district_amap_wgs84.geojson"
TOWNS_FILE = "qingpu_towns_2022_wgs84.geojson"
UNITS_FILE = "qingpu_admin_units_nbs2023.csv"
COMMUNITIES_FILE = "communities_synthetic.geojson"
GRID_FILE = "grid_synthetic.geojson"
ADDRESSES_FILE = "qingpu_addresses_covid2022_amap.csv"
ADDRESS_SOURCE = "amap_covid2022"
DISTRICT_CODE = "310118"
_PREFIXES = ("上海市", "上海", "青浦区")

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


def load_admin_areas(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    """Upsert district, towns, communities and grid; returns counts per level."""
    units = _unit_names(sample_dir)
    rows: list[tuple[object, ...]] = []
    for f in _features(sample_dir / DISTRICT_FILE):
        code = str(f["properties"]["adcode"])
        rows.append((code, units[code]["name"], "district", None, False,
                     f["properties"]["source"], json.dumps(f["geometry"])))
    for f in _features(sample_dir / TOWNS_FILE):
        code = f["properties"]["nbs_code"]
        rows.append((code, units[code]["name"], "town", units[code]["parent_code"], False,
                     "Stockard/Shanghai-COVID-2022", json.dumps(f["geometry"])))
    for level, name in (("community", COMMUNITIES_FILE), ("grid", GRID_FILE)):
        for f in _features(sample_dir / name):
            p = f["properties"]
            rows.append((p["code"], p["name"], level, p["parent_code"], True, p["source"],
                         json.dumps(f["geometry"])))
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT, rows)
    return dict(Counter(str(row[2]) for row in rows))


_UPSERT_RECORD = """
INSERT INTO address_source_record (source, line_no, raw_text, raw, raw_coordsys, point,
                                   address_code, match_score)
VALUES (%(source)s, %(line)s, %(text)s, %(raw)s, 'gcj02',
        ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), %(code)s, 1.0)
ON CONFLICT (source, line_no) DO UPDATE SET raw_text = EXCLUDED.raw_text, raw = EXCLUDED.raw,
    point = EXCLUDED.point, address_code = EXCLUDED.address_code
"""

_UPSERT_ADDRESS = """
INSERT INTO address (code, canonical, address_key, components, point, district_code)
VALUES (%(code)s, %(text)s, %(key)s, %(components)s,
        ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), %(district)s)
ON CONFLICT (code) WHERE valid_to IS NULL DO UPDATE SET canonical = EXCLUDED.canonical,
    address_key = EXCLUDED.address_key, components = EXCLUDED.components, point = EXCLUDED.point
"""

_ASSIGN_ADMIN_CODES = """
UPDATE address a SET
    town_code = (SELECT code FROM admin_area WHERE level = 'town'
                 AND ST_Intersects(geom, a.point) ORDER BY code LIMIT 1),
    community_code = (SELECT code FROM admin_area WHERE level = 'community'
                      AND ST_Intersects(geom, a.point) ORDER BY code LIMIT 1),
    grid_code = (SELECT code FROM admin_area WHERE level = 'grid'
                 AND ST_Intersects(geom, a.point) ORDER BY code LIMIT 1)
WHERE a.valid_to IS NULL
  AND a.code IN (SELECT address_code FROM address_source_record WHERE source = %(source)s)
"""


def sample_address_key(text: str) -> str:
    """Width-folded text without spaces or the city/district prefix."""
    key = "".join(unicodedata.normalize("NFKC", text).split())
    for prefix in _PREFIXES:
        key = key.removeprefix(prefix)
    return key


def address_code(district_code: str, key: str) -> str:
    """A stable code: the district's adcode and a digest of the address key."""
    return district_code + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10].upper()


def _address_records(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open(encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            lng, lat = gcj02_to_wgs84(float(row["gcj02_lng"]), float(row["gcj02_lat"]))
            # complete_address is AMap's match (often only the road, 88 times empty); the
            # address as published is the district and address columns.
            text = f"上海市{row['district']}{row['address']}"
            key = sample_address_key(text)
            records.append({
                "source": ADDRESS_SOURCE, "line": line, "text": text,
                "raw": json.dumps(row, ensure_ascii=False), "lng": float(lng), "lat": float(lat),
                "key": key, "code": address_code(DISTRICT_CODE, key), "district": DISTRICT_CODE,
                "components": json.dumps({"city": "上海市", "district": row["district"],
                                          "detail": row["address"]}, ensure_ascii=False),
            })
    return records


def load_sample_addresses(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    """Upsert source records and standard addresses (after the admin areas); returns counts."""
    records = _address_records(sample_dir / ADDRESSES_FILE)
    first_by_code = {r["code"]: r for r in reversed(records)}
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(_UPSERT_RECORD, records)
        cur.executemany(_UPSERT_ADDRESS, list(first_by_code.values()))
        cur.execute(_ASSIGN_ADMIN_CODES, {"source": ADDRESS_SOURCE})
    return {"source_records": len(records), "addresses": len(first_by_code)}


def load_sample(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    counts = load_admin_areas(conn, sample_dir=sample_dir)
    counts.update(load_sample_addresses(conn, sample_dir=sample_dir))
    return counts
