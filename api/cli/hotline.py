"""``dizhi hotline route | reroute | rules``: batch routing, re-routing after boundary changes."""

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from address.errors import BadRequest
from address.geocode.batch import read_csv_texts
from api.cli.common import connect, console, progress_bar, read_text_file, write_conn
from api.settings import get_settings
from layers.hotline.routing import Routing
from layers.hotline.rules import load_rules, replace_rules
from layers.hotline.tickets import reroute, route_text
from spatial.coords import from_wgs84, parse_coordsys, to_wgs84

hotline_app = typer.Typer(help="12345 hotline: batch routing, re-routing, the responsibility "
                               "table.", no_args_is_help=True)
OUTPUT_COLUMNS = ("address_text", "formatted_address", "lng", "lat", "level", "confidence",
                  "district_code", "town_code", "community_code", "grid_code", "responsible_unit")


def _gps(row: dict[str, str], default_system: str) -> tuple[float, float] | None:
    if not row.get("lng") or not row.get("lat"):
        return None
    try:
        lng, lat = float(row["lng"]), float(row["lat"])
    except ValueError as exc:
        raise BadRequest(f"bad lng/lat {row['lng']!r}, {row['lat']!r}") from exc
    x, y = to_wgs84(lng, lat, parse_coordsys(row.get("coordsys") or default_system))
    return float(x), float(y)


def _out_row(row: dict[str, str], routing: Routing, system: str) -> dict[str, Any]:
    lng = lat = ""
    if routing.lng is not None and routing.lat is not None:
        x, y = from_wgs84(routing.lng, routing.lat, parse_coordsys(system))
        lng, lat = f"{float(x):.7f}", f"{float(y):.7f}"
    return {**row, "address_text": routing.address_text or "",
            "formatted_address": routing.formatted_address or "", "lng": lng, "lat": lat,
            "level": routing.level or "", "confidence": routing.confidence or "",
            "district_code": routing.chain.get("district", ""),
            "town_code": routing.chain.get("town", ""),
            "community_code": routing.chain.get("community", ""),
            "grid_code": routing.chain.get("grid", ""),
            "responsible_unit": routing.assignment.unit or ""}


@hotline_app.command("route")
def route_command(
    path: Annotated[Path, typer.Argument(help="CSV: column `text`; optional lng, lat, coordsys, "
                                              "service_code")],
    out: Annotated[Path, typer.Option(help="output CSV")],
    coordsys: Annotated[str, typer.Option(help="of input points without a coordsys column, "
                                               "and of the output points")] = "wgs84",
    service_code: Annotated[str, typer.Option(help="category of rows without one")] = "other",
) -> None:
    """Route every row of a CSV (input order kept) without filing tickets. The output's lng/lat
    are the located point (the text's match, else the caller's GPS), replacing input columns of
    the same name."""
    columns, rows = read_csv_texts(read_text_file(path))
    districts = get_settings().district_codes
    results = []
    with connect() as conn, progress_bar() as bar:
        rules = load_rules(conn)
        task = bar.add_task(f"routing {path.name}", total=len(rows))
        for row in rows:
            routing = route_text(conn, text=row.get("text") or "", gps=_gps(row, coordsys),
                                 service_code=row.get("service_code") or service_code,
                                 districts=districts, rules=rules)
            results.append(_out_row(row, routing, coordsys))
            bar.advance(task)
    buffer = io.StringIO()
    names = columns + [c for c in OUTPUT_COLUMNS if c not in columns]
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(results)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    routed = sum(1 for r in results if r["town_code"])
    console.print(f"{routed} of {len(results)} rows placed in a town → {out}")


@hotline_app.command("reroute")
def reroute_command(
    since: Annotated[datetime, typer.Option(help="tickets requested on or after this date")],
    reason: Annotated[str, typer.Option(help="kept in each ticket's history")] = "boundary change",
) -> None:
    """Route tickets again after admin areas, grids or rules changed; old assignments are kept
    in each ticket's history."""
    with write_conn() as conn, progress_bar() as bar:
        bar.add_task(f"re-routing tickets since {since:%Y-%m-%d}", total=None)
        counts = reroute(conn, since=since, reason=reason)
    console.print(f"{counts['rerouted']} of {counts['tickets']} tickets re-routed")


@hotline_app.command("rules")
def rules_command(
    load: Annotated[Path | None,
                    typer.Option(help="JSON list of rules replacing the table")] = None,
) -> None:
    """Print the responsibility table (JSON lines), or replace it from a JSON file."""
    if load is not None:
        with write_conn() as conn:
            replace_rules(conn, rules=json.loads(load.read_text(encoding="utf-8")))
    with connect() as conn:
        for rule in load_rules(conn):
            typer.echo(json.dumps(rule.as_dict(), ensure_ascii=False))
