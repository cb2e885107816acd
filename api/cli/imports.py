"""``dizhi import …``: loading source files into the register (addresses; buildings)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from address.register.importer import ImportOptions, import_rows
from address.register.sources import SourceRow, parse_columns, read_source
from api.cli.common import console, progress_bar, write_conn
from api.settings import get_settings
from spatial.coords import parse_coordsys, to_wgs84

import_app = typer.Typer(help="Import source files.", no_args_is_help=True)


def _to_wgs84(rows: list[SourceRow], coordsys: str) -> list[SourceRow]:
    system = parse_coordsys(coordsys)
    if system == "wgs84":
        return rows
    for row in rows:
        if row.x is not None and row.y is not None:
            row.raw.setdefault("_raw_lnglat", [row.x, row.y])
            x, y = to_wgs84(row.x, row.y, system)
            row.x, row.y = float(x), float(y)
    return rows


@import_app.command("addresses")
def import_addresses(
    file: Annotated[Path, typer.Argument(help="CSV, GeoJSON, GeoPackage or Shapefile")],
    source: Annotated[str, typer.Option(help="the source's name, e.g. 公安门牌 or amap")],
    coordsys: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09")] = "wgs84",
    columns: Annotated[str | None, typer.Option(help="text=地址,lng=经度,lat=纬度")] = None,
    far_m: Annotated[float | None, typer.Option(help="flag records this far (m) from their "
                                                     "address")] = None,
    report: Annotated[Path | None, typer.Option(help="write the full report as JSON")] = None,
) -> None:
    """Import an address source: raw records kept, matched, new addresses made, conflicts noted.

    One transaction: rows that cannot be used are reported, and an error that stops the import
    (or Ctrl-C) leaves the register as it was."""
    settings = get_settings()
    rows = _to_wgs84(list(read_source(file, parse_columns(columns))), coordsys)
    options = ImportOptions(source=source, filename=file.name, coordsys=parse_coordsys(coordsys),
                            default_district=settings.district_codes[0],
                            far_m=far_m if far_m is not None else settings.conflict_distance_m)
    with write_conn() as conn, progress_bar() as bar:
        task = bar.add_task(f"importing {file.name}", total=len(rows))

        def tracked() -> Iterator[SourceRow]:
            for row in rows:
                yield row
                bar.advance(task)

        result = import_rows(conn, options, tracked())
    console.print(f"{result.imported} of {result.rows} rows imported ({result.created} new, "
                  f"{result.matched} matched), {result.failed} failed; conflicts: "
                  f"{result.conflicts or 'none'}")
    for error in result.errors[:20]:
        console.print(f"  line {error['line']}: {error['reason']} ({error['text'][:40]!r})")
    if report:
        report.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    if result.failed:
        raise typer.Exit(1)


@import_app.command("buildings")
def import_buildings_command(
    file: Annotated[Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile, .osm or .osm.pbf")],
    source: Annotated[str, typer.Option(help="the source's name, e.g. survey or osm")],
    layer: Annotated[str | None, typer.Option(help="layer inside the file")] = None,
) -> None:
    """Make FILE the current snapshot of a footprint source (raw rows kept, changes only)."""
    from spatial.buildings.ingest import import_buildings

    with write_conn() as conn:
        result = import_buildings(conn, path=file, source=source, layer=layer)
    console.print(f"{source}: read {result.read}, inserted {result.inserted}, updated "
                  f"{result.updated}, unchanged {result.unchanged}, deleted {result.deleted}, "
                  f"rejected {len(result.rejected)}")
    for row in result.rejected[:20]:
        console.print(f"  rejected {row['source_id']}: {row['reason']}")
