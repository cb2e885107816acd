"""Loading the SYNTHETIC buildings of the sample district (written by data/generate/buildings.py).

Files (all synthetic except the ASTER grid): ``truth_synthetic.gpkg`` (the generator's truth),
``survey_synthetic.gpkg`` (EPSG:4549, with floors), ``osm_synthetic.gpkg`` (EPSG:4326, OSM-like
tags, no floors), ``truth_links_synthetic.csv`` (which truth buildings each source footprint
stands for), ``dsm/`` and ``dem/`` COG tiles. Loading imports both sources, registers the rasters,
conflates (survey first), computes heights and links the addresses; every step is incremental,
so loading twice changes nothing.
"""

from pathlib import Path

from psycopg import Connection

from spatial.buildings.conflate import conflate
from spatial.buildings.heights import compute_heights
from spatial.buildings.ingest import import_buildings
from spatial.buildings.links import link_addresses
from spatial.rasters import register_raster

SAMPLE_SUBDIR = "buildings"
ADDRESSES_FILE = "qingpu_addresses_covid2022_amap.csv"
SOURCES = ("survey", "osm")
ASTER = "qingpu_bbox_aster_gdem_v3_20arcsec.asc"
SYNTHETIC = "synthetic: seeded generator data/generate/buildings.py"


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
