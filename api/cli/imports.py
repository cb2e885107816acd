"""``dizhi import …``: loading source files into the register (addresses; buildings).

The register and the vector reader load inside each command, so the rest of ``dizhi`` starts
without them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli.common import console, progress_bar, read_text_file, write_conn

if TYPE_CHECKING:
    from address.register.imports.chunk import ImportOptions
    from address.register.sources import SourceRow

import_app = typer.Typer(help="Import source files.", no_args_is_help=True)


def read_address_rows(path: Path, *, columns: dict[str, str] | None = None,
                      coordsys: str = "wgs84") -> list[SourceRow]:
    """An address source file's rows, points in WGS84 (CSV values kept as the text they were)."""
    columns = columns or {}
    if path.suffix.lower() in (".csv", ".txt"):
        return _csv_rows(path, columns=columns, coordsys=coordsys)
    from address.register.sources import source_rows
    from spatial.vector import read_vector

    found = read_vector(path, coordsys=coordsys, lng_field=columns.get("lng"),
                        lat_field=columns.get("lat"), points="optional", infer_types=False)
    if found.encoding:
        console.print(f"read {path.name} as {found.encoding}")
    return list(source_rows(found.frame, lines=found.lines, bad_points=found.bad_points,
                            columns=columns))


def _csv_rows(path: Path, *, columns: dict[str, str], coordsys: str) -> list[SourceRow]:
    """A CSV source without the vector reader (and pandas): rows as read, points to WGS84."""
    from address.register.sources import csv_rows
    from spatial.coords import parse_coordsys, rows_to_wgs84

    return rows_to_wgs84(csv_rows(read_text_file(path), columns=columns),
                         parse_coordsys(coordsys))


@import_app.command("addresses")
def import_addresses(
    file: Annotated[Path, typer.Argument(help="CSV, GeoJSON, GeoPackage or Shapefile")],
    source: Annotated[str, typer.Option(help="the source's name, e.g. 公安门牌 or amap")],
    coordsys: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09")] = "wgs84",
    columns: Annotated[str | None, typer.Option(help="text=地址,lng=经度,lat=纬度")] = None,
    far_m: Annotated[float | None, typer.Option(help="flag records this far (m) from their "
                                                     "address")] = None,
    report: Annotated[Path | None, typer.Option(help="write the report as JSON")] = None,
    parse_process: Annotated[bool, typer.Option(
        help="parse in a second process (faster on an idle multi-core machine, ~3 CPU-s more)"
    )] = False,
) -> None:
    """Import an address source: raw records kept, matched, new addresses made, conflicts noted;
    rows that would make a new road or place wait for a steward (``dizhi pending``).

    One transaction: an error that stops the import (or Ctrl-C) leaves the register as it was;
    rows that cannot be used are rejected and reported with their line (exit status 1)."""
    from address.register.imports.report import import_report
    from address.register.imports.run import count_rows, create_import, run_import
    from address.register.sources import parse_columns

    rows = read_address_rows(file, columns=parse_columns(columns), coordsys=coordsys)
    with write_conn() as conn, progress_bar() as bar:
        options = import_options(source=source, filename=file.name, coordsys=coordsys,
                                 far_m=far_m)
        import_id = create_import(conn, options)
        count_rows(conn, import_id=import_id, rows=len(rows))
        task = bar.add_task(f"importing {file.name}", total=len(rows))
        run_import(conn, import_id=import_id, rows=rows, parse_process=parse_process,
                   progress=lambda n: bar.advance(task, n))
        result = import_report(conn, import_id=import_id)
    print_import_report(result)
    if report:
        report.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    if result["rejected"]:
        raise typer.Exit(1)


def import_options(*, source: str, filename: str, coordsys: str,
                   far_m: float | None) -> ImportOptions:
    """The options of an import from the settings (districts, conflict distance)."""
    from address.register.imports.chunk import ImportOptions
    from api.settings import get_settings
    from spatial.coords import parse_coordsys

    settings = get_settings()
    return ImportOptions(source=source, filename=filename, coordsys=parse_coordsys(coordsys),
                         districts=tuple(settings.district_codes),
                         far_m=settings.registry.conflict_distance_m if far_m is None else far_m)


def print_import_report(result: dict[str, Any]) -> None:
    conflicts = ", ".join(f"{k} {v}" for k, v in result["conflicts"].items()) or "none"
    console.print(f"{result['rows']} rows: {result['created']} created, {result['matched']} "
                  f"matched, {result['pending']} pending review, {result['rejected']} rejected;"
                  f" conflicts: {conflicts}")
    for error in result["errors"][:20]:
        console.print(f"  line {error['line']}: {error['reason']} ({error['text'][:40]!r})")


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
