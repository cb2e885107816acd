"""``dizhi import …``: loading source files into the register (addresses; buildings).

The register and the vector reader load inside each command, so the rest of ``dizhi`` starts
without them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.common import console, progress_bar, write_conn

if TYPE_CHECKING:
    from address.register.sources import SourceRow

import_app = typer.Typer(help="Import source files.", no_args_is_help=True)


def read_address_rows(path: Path, *, columns: dict[str, str] | None = None,
                      coordsys: str = "wgs84") -> list[SourceRow]:
    """An address source file's rows, points in WGS84 (CSV values kept as the text they were)."""
    from address.register.sources import source_rows
    from spatial.vector import read_vector

    columns = columns or {}
    found = read_vector(path, coordsys=coordsys, lng_field=columns.get("lng"),
                        lat_field=columns.get("lat"), points="optional", infer_types=False)
    if found.encoding:
        console.print(f"read {path.name} as {found.encoding}")
    return list(source_rows(found.frame, lines=found.lines, bad_points=found.bad_points,
                            columns=columns))


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
    from address.register.importer import ImportOptions, import_rows
    from address.register.sources import parse_columns
    from api.settings import get_settings
    from spatial.coords import parse_coordsys

    settings = get_settings()
    rows = read_address_rows(file, columns=parse_columns(columns), coordsys=coordsys)
    options = ImportOptions(source=source, filename=file.name, coordsys=parse_coordsys(coordsys),
                            default_district=settings.district_codes[0],
                            far_m=settings.registry.conflict_distance_m if far_m is None
                            else far_m)
    with write_conn() as conn, progress_bar() as bar:
        task = bar.add_task(f"importing {file.name}", total=len(rows))

        def tracked() -> Iterator[SourceRow]:
            for row in rows:
                yield row
                bar.advance(task)

        result = import_rows(conn, options, tracked())
    console.print(f"{result.imported} of {result.read} rows imported "
                  f"({result.counts['created']} new, {result.counts['matched']} matched), "
                  f"{result.failed} failed; conflicts: {result.details['conflicts'] or 'none'}")
    for error in result.failed_rows[:20]:
        console.print(f"  line {error.line}: {error.reason} ({error.text[:40]!r})")
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
    counts = result.counts
    console.print(f"{source}: read {result.read}, inserted {counts['inserted']}, updated "
                  f"{counts['updated']}, unchanged {counts['unchanged']}, deleted "
                  f"{counts['deleted']}, rejected {result.failed}")
    for row in result.failed_rows[:20]:
        console.print(f"  rejected {row.text} (line {row.line}): {row.reason}")
