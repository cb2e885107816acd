"""``dizhi geocode | reverse | suggest``: the CLI twins of the geocoding endpoints.

The geocoder loads inside each command, so the rest of ``dizhi`` starts without it."""

import json
from pathlib import Path
from typing import Annotated

import typer

from address.errors import BadRequest
from api.cli.common import ENGINE_HELP, WORKERS_HELP, connect, console, progress_bar


def _echo(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str))


def _batch(path: Path, out: Path | None, coordsys: str, engine: str, workers: int) -> None:
    if out is None:
        raise BadRequest("--batch needs --out")
    from address.geocode.batch import geocode_batch, warm_parser
    from address.geocode.batch_files import read_batch, write_batch
    from api.cli.common import open_cli_engine
    from api.settings import get_settings
    from spatial.coords import output_transform, parse_coordsys

    system = parse_coordsys(coordsys)
    data = read_batch(path)
    with connect() as conn, open_cli_engine(engine, conn=conn, workers=workers,
                                            setup=warm_parser) as runner, progress_bar() as bar:
        task = bar.add_task(f"geocoding {path.name} ({engine})", total=len(data.texts))
        results = geocode_batch(runner, data.texts, districts=get_settings().district_codes,
                                progress=lambda done: bar.update(task, completed=done))
    write_batch(out, data, results, output_transform(system), wgs84=system == "wgs84")
    found = sum(1 for r in results if r.best)
    console.print(f"{found} of {len(results)} rows geocoded → {out}")


def geocode_command(
    text: Annotated[str | None, typer.Argument(help="an address or free text")] = None,
    batch: Annotated[Path | None, typer.Option(
        "--batch", help="CSV or (Geo)Parquet with a `text` column")] = None,
    out: Annotated[Path | None, typer.Option(
        help="output .csv, .geojson or .parquet (GeoParquet) for --batch")] = None,
    coordsys: Annotated[str, typer.Option(help="of the output points")] = "wgs84",
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "local",
    workers: Annotated[int, typer.Option(help=WORKERS_HELP)] = 2,
) -> None:
    """Geocode one address (JSON out) or a file (--batch IN.csv --out OUT.csv|.parquet)."""
    if batch is not None:
        _batch(batch, out, coordsys, engine, workers)
        return
    if not text:
        raise BadRequest("give an address, or --batch FILE --out FILE")
    from address.geocode.details import GeocodeRequest
    from address.geocode.forward import geocode
    from api.settings import get_settings
    from spatial.coords import location_text, parse_coordsys

    system = parse_coordsys(coordsys)
    with connect() as conn:
        result = geocode(conn, GeocodeRequest(text=text, districts=get_settings().district_codes))
    data = result.as_dict()
    for candidate in [data["best"], *data["candidates"]]:
        if candidate:
            candidate["location"] = location_text(candidate.pop("lng"), candidate.pop("lat"),
                                                  system)
    _echo(data)


def reverse_command(
    location: Annotated[str, typer.Argument(help="lng,lat")],
    radius: Annotated[float, typer.Option(help="metres")] = 100.0,
    coordsys: Annotated[str, typer.Option()] = "wgs84",
) -> None:
    """The nearest standard addresses, admin chain and road of a point (JSON)."""
    from address.geocode.reverse import ReverseRequest, reverse_geocode
    from spatial.coords import parse_coordsys, parse_lnglat, to_wgs84

    lng, lat = to_wgs84(*parse_lnglat(location), parse_coordsys(coordsys))
    with connect() as conn:
        _echo(reverse_geocode(conn, ReverseRequest(float(lng), float(lat), radius)))


def suggest_command(
    q: Annotated[str, typer.Argument(help="what has been typed so far")],
    limit: Annotated[int, typer.Option()] = 10,
) -> None:
    """As-you-type suggestions (JSON lines)."""
    from address.geocode.suggest import suggest
    from api.settings import get_settings

    with connect() as conn:
        for s in suggest(conn, q=q, districts=get_settings().district_codes, limit=limit):
            _echo(s.as_dict())
