"""``dizhi layers …`` and ``dizhi quality …``: the layer catalog and data-quality rules."""

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import ENGINE_HELP, WORKERS_HELP, console, open_cli_engine, write_conn
from api.cli.common import connect as _connect

layers_app = typer.Typer(help="The layer catalog: upload, list, versions, access levels.",
                         no_args_is_help=True)
quality_app = typer.Typer(help="Data-quality rules, runs and scores.", no_args_is_help=True)


def _invalidate(name: str) -> None:
    from api.settings import get_settings
    from api.state import tile_cache

    tile_cache(get_settings()).invalidate(name)


@layers_app.command("add")
def add(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    name: Annotated[str, typer.Option(help="table-safe name; defaults to the file's stem")] = "",
    title: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str, typer.Option()] = "",
    access: Annotated[str, typer.Option(help="public, internal or restricted")] = "internal",
    mode: Annotated[str, typer.Option(help="create, replace or append")] = "create",
    coordsys: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09")] = "wgs84",
    crs: Annotated[str | None, typer.Option(help="when the file has none, e.g. EPSG:4549")] = None,
    lng_field: Annotated[str | None, typer.Option()] = None,
    lat_field: Annotated[str | None, typer.Option()] = None,
    owner: Annotated[str, typer.Option()] = "cli",
    encoding: Annotated[str | None, typer.Option(help="attribute text if not UTF-8: gbk")] = None,
) -> None:
    """Upload GeoJSON, GeoPackage, zipped Shapefile or CSV as a layer (or a new version)."""
    from layers.catalog.store import add_layer

    layer_name = name or file.stem.lower().replace("-", "_")
    with console.status(f"loading {file} into layer {layer_name}"), write_conn() as conn:
        layer, report = add_layer(
            conn, path=file, name=layer_name, title=title, description=description,
            access_level=access, owner=owner, source=file.name, mode=mode, coordsys=coordsys,
            crs=crs, lng_field=lng_field, lat_field=lat_field, encoding=encoding)
    _invalidate(layer_name)
    console.print(f"layer {layer.name} v{layer.version}: {layer.feature_count} features "
                  f"({report.details['format']}, from {report.details['source_crs']}, coordsys "
                  f"{report.details['coordsys']}); repaired {report.counts.get('repaired', 0)},"
                  f" rejected {report.failed}")
    for bad in report.failed_rows[:20]:
        console.print(f"  line {bad.line}: {bad.reason}")


@layers_app.command("list")
def list_() -> None:
    """Every layer with its access level, version and size."""
    from layers.catalog.layers import list_layers

    with _connect() as conn:
        for layer in list_layers(conn, levels=("public", "internal", "restricted")):
            typer.echo(f"{layer.name}\t{layer.access_level}\tv{layer.version}\t"
                       f"{layer.feature_count}\t{layer.geometry_type}\t{layer.title}")


@layers_app.command("show")
def show(name: str) -> None:
    """A layer's metadata and versions as JSON."""
    from layers.catalog.layers import get_layer, list_versions

    with _connect() as conn:
        data = get_layer(conn, name=name).as_dict()
        data["versions"] = list_versions(conn, name=name)
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@layers_app.command("set-access")
def set_access(name: str, level: str) -> None:
    """Set a layer's access level: public, internal or restricted."""
    from layers.catalog.layers import update_metadata

    with write_conn() as conn:
        update_metadata(conn, name=name, changes={"access_level": level})
    _invalidate(name)
    console.print(f"layer {name} is now {level}")


@layers_app.command("delete")
def delete(name: str) -> None:
    """Delete a layer with every version."""
    from layers.catalog.layers import delete_layer

    with write_conn() as conn:
        delete_layer(conn, name=name)
    _invalidate(name)
    console.print(f"layer {name} deleted")


@layers_app.command("add-raster")
def add_raster(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    name: Annotated[str, typer.Option()],
    title: Annotated[str | None, typer.Option()] = None,
    access: Annotated[str, typer.Option()] = "internal",
) -> None:
    """Register a GeoTIFF as a raster layer (converted to a COG if it is not one)."""
    from api.settings import get_settings
    from layers.catalog.access import check_level
    from spatial.rasters import register_raster

    with console.status(f"registering {file}"), write_conn() as conn:
        raster = register_raster(conn, path=file, name=name, title=title,
                                 access_level=check_level(access), owner="cli",
                                 store_dir=get_settings().raster_dir, replace=False)
    console.print(f"raster {raster.name}: zoom {raster.minzoom}–{raster.maxzoom}, "
                  f"{raster.band_count} band(s), bounds {raster.bounds}")


@quality_app.command("run")
def run(
    resource: str,
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "local",
    workers: Annotated[int, typer.Option(help=WORKERS_HELP)] = 2,
) -> None:
    """Check a layer's (or built-in's) rules, store the run, print the score; ``--engine ray``
    checks ranges of ids on Ray workers."""
    from layers.catalog.collections import get_collection
    from layers.catalog.quality import run_quality

    with console.status(f"checking {resource}"), write_conn() as conn, \
            open_cli_engine(engine, workers=workers) as runner:
        result = run_quality(conn, collection=get_collection(conn, cid=resource),
                             engine=None if engine == "local" else runner)
    for rule in result["results"]:
        label = rule["rule"] + (f" {rule['field']}" if "field" in rule else "")
        console.print(f"  {label}: {rule['failed']} of {rule['checked']} fail"
                      + (f" (e.g. {', '.join(rule['sample_ids'][:5])})" if rule["failed"] else ""))
    typer.echo(json.dumps({"resource": resource, "score": result["score"],
                           "feature_count": result["feature_count"], "run": result["id"]}))


@quality_app.command("rules")
def rules(
    resource: str,
    set_file: Annotated[Path | None, typer.Option("--set", help="a JSON list of rules")] = None,
) -> None:
    """Show a resource's rule set, or replace it from a JSON file."""
    from layers.catalog.collections import get_collection
    from layers.catalog.quality import get_rules, set_rules

    if set_file is not None:
        with write_conn() as conn:
            set_rules(conn, collection=get_collection(conn, cid=resource),
                      rules=json.loads(set_file.read_text()))
    with _connect() as conn:
        collection = get_collection(conn, cid=resource)
        typer.echo(json.dumps(get_rules(conn, collection=collection), ensure_ascii=False))


@quality_app.command("scores")
def scores() -> None:
    """The latest score of every checked resource."""
    from layers.catalog.quality import latest_scores

    with _connect() as conn:
        for resource, score in latest_scores(conn).items():
            typer.echo(f"{resource}\t{score['score']}\t{score['feature_count']}\t"
                       f"{score['checked_at']:%Y-%m-%d %H:%M}")
