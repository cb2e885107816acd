"""``dizhi buildings …``: conflation, heights, address links, review, LoD1 export, rasters."""

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import ENGINE_HELP, WORKERS_HELP, console, open_cli_engine, write_conn
from api.cli.common import connect as _connect

buildings_app = typer.Typer(help="Fused buildings: conflate, heights, links, 3D.",
                            no_args_is_help=True)


@buildings_app.command("conflate")
def conflate_command(
    sources: Annotated[list[str], typer.Argument(help="source names, highest priority first")],
    heights: Annotated[bool, typer.Option(help="then compute missing heights")] = True,
    links: Annotated[bool, typer.Option(help="then relink addresses")] = True,
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "local",
    workers: Annotated[int, typer.Option(help=WORKERS_HELP)] = 2,
) -> None:
    """Fuse the sources into the building layer (only what changed since the last run); with
    heights and links, in one transaction. ``--engine ray`` matches strip by strip on Ray."""
    from spatial.buildings.conflate import conflate
    from spatial.buildings.heights import compute_heights
    from spatial.buildings.links import link_addresses

    with write_conn() as conn, open_cli_engine(engine, workers=workers) as runner:
        with console.status(f"conflating ({engine})"):
            counts = conflate(conn, sources=sources, engine=None if engine == "local" else runner)
        console.print(json.dumps(counts))
        if heights:
            with console.status("heights from the DSM/DEM"):
                console.print(json.dumps(compute_heights(conn, only_missing=True)))
        if links:
            console.print(json.dumps(link_addresses(conn)))


@buildings_app.command("heights")
def heights_command(
    all_buildings: Annotated[bool, typer.Option("--all", help="recompute every building")] = False,
) -> None:
    """Heights from the registered DSM and DEM rasters (floors × storey height as fallback)."""
    from spatial.buildings.heights import compute_heights

    with write_conn() as conn, console.status("heights from the DSM/DEM"):
        console.print(json.dumps(compute_heights(conn, only_missing=not all_buildings)))


@buildings_app.command("link")
def link_command(
    max_distance: Annotated[float, typer.Option(help="metres for the nearest fallback")] = 50.0,
) -> None:
    """Link addresses to buildings (inside, else nearest within MAX_DISTANCE)."""
    from spatial.buildings.links import link_addresses

    with write_conn() as conn:
        console.print(json.dumps(link_addresses(conn, max_distance_m=max_distance)))


@buildings_app.command("raster")
def raster_command(
    file: Annotated[Path, typer.Argument(help="GeoTIFF/COG/ASCII grid, any CRS")],
    kind: Annotated[str, typer.Option(help="dsm or dem")],
    name: Annotated[str | None, typer.Option(help="defaults to the file name")] = None,
    access: Annotated[str, typer.Option(help="public, internal or restricted")] = "internal",
) -> None:
    """Register a DSM or DEM raster for heights (in the raster catalog, served as tiles too)."""
    from layers.catalog.access import check_level
    from spatial.rasters import register_raster

    with write_conn() as conn:
        raster = register_raster(conn, path=file, kind=kind, name=name,
                                 access_level=check_level(access))
    console.print(f"raster {raster.id} registered as {kind}")


@buildings_app.command("review")
def review_command(
    resolve: Annotated[int | None, typer.Option(help="id of the item to resolve")] = None,
    decision: Annotated[str, typer.Option(help="merged or separate")] = "merged",
    reviewer: Annotated[str, typer.Option()] = "cli",
) -> None:
    """List open n:m review items, or resolve one (applied by the next conflate)."""
    from spatial.buildings.review import list_reviews, resolve_review

    if resolve is not None:
        with write_conn() as conn:
            item = resolve_review(conn, review_id=resolve, decision=decision, reviewer=reviewer)
        console.print(f"review {resolve}: {item['status']}")
        return
    with _connect() as conn:
        for item in list_reviews(conn, status="open"):
            keys = [m["key"] for m in item["detail"].get("members", [])]
            typer.echo(f"{item['id']}\t{item['kind']}\t{' '.join(keys)}")


@buildings_app.command("export")
def export_command(
    out: Annotated[Path | None, typer.Option(help="file to write (default stdout)")] = None,
    bbox: Annotated[str | None, typer.Option(help="west,south,east,north")] = None,
) -> None:
    """Write the buildings as LoD1.2 CityJSON."""
    from spatial.buildings.export import export_lod1
    from spatial.coords import parse_bbox

    box = list(parse_bbox(bbox)) if bbox else None
    with _connect() as conn:
        doc = export_lod1(conn, bbox=box)
    text = json.dumps(doc, ensure_ascii=False)
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"{len(doc['CityObjects'])} buildings written to {out}")
    else:
        sys.stdout.write(text + "\n")
