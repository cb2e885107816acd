"""The SYNTHETIC buildings of the sample district: writing the files and loading them.

    python -m spatial.building_sample data/sample     # regenerates data/sample/buildings/

Files (all synthetic except the ASTER grid): ``truth_synthetic.gpkg`` (the generator's truth),
``survey_synthetic.gpkg`` (EPSG:4549, with floors), ``osm_synthetic.gpkg`` (EPSG:4326, OSM-like
tags, no floors), ``truth_links_synthetic.csv`` (which truth buildings each source footprint
stands for), ``dsm/`` and ``dem/`` COG tiles. Loading imports both sources, registers the rasters,
conflates (survey first), computes heights and links the addresses; every step is incremental,
so loading twice changes nothing.
"""

import csv
import sys
from pathlib import Path

import geopandas as gpd
from psycopg import Connection
from pyproj import Transformer

from spatial.building_links import link_addresses
from spatial.buildings import conflate
from spatial.buildings_io import import_buildings
from spatial.coords import gcj02_to_wgs84
from spatial.heights import compute_heights
from spatial.raster_synthetic import write_rasters
from spatial.rasters import register_raster
from spatial.synthetic_buildings import (
    OSM,
    SEED,
    SURVEY,
    Anchor,
    anchor_kind,
    degrade,
    generate_truth,
)

SAMPLE_SUBDIR = "buildings"
ADDRESSES_FILE = "qingpu_addresses_covid2022_amap.csv"
SOURCES = ("survey", "osm")
ASTER = "qingpu_bbox_aster_gdem_v3_20arcsec.asc"
SYNTHETIC = "synthetic: seeded generator spatial/synthetic_buildings.py"


def sample_anchors(sample_dir: Path) -> list[Anchor]:
    """One anchor per distinct real address point, in EPSG:4549."""
    to_metric = Transformer.from_crs(4326, 4549, always_xy=True)
    anchors, seen = [], set()
    with (sample_dir / ADDRESSES_FILE).open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            lng, lat = gcj02_to_wgs84(float(row["gcj02_lng"]), float(row["gcj02_lat"]))
            x, y = to_metric.transform(float(lng), float(lat))
            if (round(x), round(y)) not in seen:
                seen.add((round(x), round(y)))
                anchors.append(Anchor(x, y, anchor_kind(row["address"])))
    return anchors


def generate_sample(sample_dir: Path, *, seed: int = SEED) -> dict[str, int]:
    out = sample_dir / SAMPLE_SUBDIR
    out.mkdir(parents=True, exist_ok=True)
    truth = generate_truth(sample_anchors(sample_dir), seed=seed)
    truth.to_file(out / "truth_synthetic.gpkg", driver="GPKG", engine="pyogrio")
    links = []
    for k, spec in enumerate((SURVEY, OSM)):
        frame = degrade(truth, spec, seed=seed + 1 + k)
        links += [(spec.name, s, t) for s, t in zip(frame.source_id, frame.truth_ids, strict=True)]
        frame = frame.drop(columns="truth_ids")
        if spec.name == "osm":
            frame = frame.drop(columns="floors").to_crs(4326)
        frame.to_file(out / f"{spec.name}_synthetic.gpkg", driver="GPKG", engine="pyogrio")
    with (out / "truth_links_synthetic.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "source_id", "truth_ids"])
        writer.writerows(links)
    rasters = write_rasters(out, truth, seed=seed)
    return {"truth": len(truth), "source_rows": len(links), "raster_tiles": len(rasters)}


def read_truth(directory: Path) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    truth = gpd.read_file(directory / "truth_synthetic.gpkg", engine="pyogrio")
    with (directory / "truth_links_synthetic.csv").open(encoding="utf-8") as f:
        ids = {f"{r['source']}/{r['source_id']}": r["truth_ids"] for r in csv.DictReader(f)}
    return truth, ids


def register_sample_rasters(conn: Connection, *, directory: Path) -> int:
    count = 0
    for kind in ("dsm", "dem"):
        for path in sorted((directory / kind).glob("*.tif")):
            register_raster(conn, path=path, kind=kind, name=f"sample_{path.stem}",
                            synthetic=True, source=SYNTHETIC)
            count += 1
    if (directory / ASTER).exists():
        register_raster(conn, path=directory / ASTER, kind="dem", name="aster_gdem_v3_qingpu",
                        source="ASTER GDEM v3 (NASA/METI), 20 arc-second resample")
        count += 1
    return count


def load_buildings_sample(conn: Connection, *, sample_dir: Path,
                          with_addresses: bool = True) -> dict[str, int]:
    """Import, register, conflate, heights and links for the sample; returns counts."""
    directory = sample_dir / SAMPLE_SUBDIR
    if not (directory / "survey_synthetic.gpkg").exists():
        return {}
    for source in SOURCES:
        import_buildings(conn, path=directory / f"{source}_synthetic.gpkg", source=source)
    counts = {"rasters": register_sample_rasters(conn, directory=directory)}
    run = conflate(conn, sources=list(SOURCES))
    counts["buildings"] = int(run["buildings"])
    heights = compute_heights(conn, only_missing=True)
    counts["heights_computed"] = sum(heights.values())
    if with_addresses:
        counts["address_links"] = int(link_addresses(conn)["linked"])
    return counts


if __name__ == "__main__":
    print(generate_sample(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/sample")))
