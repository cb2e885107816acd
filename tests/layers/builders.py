"""Small files to upload: GeoJSON, CSV, GeoPackage, zipped Shapefile, around 青浦区."""

import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import Polygon, box

CENTER = (121.11, 31.15)


def square(lng: float, lat: float, size: float = 0.002) -> Polygon:
    return box(lng, lat, lng + size, lat + size)


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def geojson_file(path: Path, features: list[dict[str, Any]], crs: str | None = None) -> Path:
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def parcels(n: int = 5) -> list[dict[str, Any]]:
    """n squares in a row east of the centre, with a name, a code and a number."""
    return [feature(square(CENTER[0] + i * 0.003, CENTER[1]).__geo_interface__,
                    name=f"地块{i}", code=f"QP{i:04d}", area_mu=10.0 + i,
                    surveyed=f"2024-0{1 + i % 9}-15T00:00:00Z")
            for i in range(n)]


def bowtie() -> dict[str, Any]:
    x, y = CENTER
    ring = [[x, y], [x + 0.002, y + 0.002], [x + 0.002, y], [x, y + 0.002], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def csv_file(path: Path, rows: list[tuple[float, float, str]],
             header: str = "lng,lat,name") -> Path:
    lines = [header] + [f"{lng},{lat},{name}" for lng, lat, name in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def gpkg_file(path: Path, n: int = 5, epsg: int = 4549) -> Path:
    frame = gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(n)]},
        geometry=[square(CENTER[0] + i * 0.003, CENTER[1]) for i in range(n)], crs=4326)
    frame.to_crs(epsg).to_file(path, driver="GPKG")
    return path


def zipped_shapefile(directory: Path, n: int = 3) -> Path:
    frame = gpd.GeoDataFrame(
        {"name": [f"s{i}" for i in range(n)]},
        geometry=[square(CENTER[0], CENTER[1] + i * 0.003) for i in range(n)], crs=4326)
    shp = directory / "shp"
    shp.mkdir()
    frame.to_file(shp / "parcels.shp")
    target = directory / "parcels.zip"
    with zipfile.ZipFile(target, "w") as archive:
        for part in shp.iterdir():
            archive.write(part, part.name)
    return target


def headers_for(conn: Any, role: str) -> dict[str, str]:
    """An Authorization header for a new key of ``role`` (inside the test's transaction)."""
    from api.auth import create_key

    return {"Authorization": f"Bearer {create_key(conn, role=role, name=f'test {role}').key}"}


def upload(client: Any, headers: dict[str, str], path: Path, name: str, **form: str) -> Any:
    """POST /layers with a file and form fields."""
    with path.open("rb") as handle:
        return client.post("/layers", headers=headers, data={"name": name, **form},
                           files={"file": (path.name, handle)})
