"""The planners' basemap context: OSM metro lines and stations and expressways (ODbL), loaded
into ``basemap_feature`` from the sample's ``transport/`` folder."""

import json
from pathlib import Path

from psycopg import Connection

from address.transactions import require_transaction

ATTRIBUTION = ("© <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>"
               " contributors (ODbL)")
TRANSPORT = "transport/qingpu_bbox_osm_metro_and_expressways_wgs84.geojson"


def load_basemap(conn: Connection, *, sample_dir: Path) -> dict[str, int]:
    """Replace the basemap features with the sample's transport file; 0 when it is absent."""
    require_transaction(conn, "load_basemap")
    path = sample_dir / TRANSPORT
    if not path.exists():
        return {"basemap_features": 0}
    collection = json.loads(path.read_text(encoding="utf-8"))
    source = collection.get("metadata", {}).get("sourceSnapshot", path.name)
    conn.execute("DELETE FROM basemap_feature")
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO basemap_feature (id, kind, name, ref, source, geom)"
            " VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))",
            [(f["properties"]["id"], f["properties"]["kind"], f["properties"].get("name") or "",
              f["properties"].get("route") or f["properties"].get("road_kind") or "", source,
              json.dumps(f["geometry"])) for f in collection["features"]])
    return {"basemap_features": len(collection["features"])}
