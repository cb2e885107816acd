"""The ``dizhi`` commands (typer). With DIZHI_DATABASE_URL set every command uses that server.

Each command imports what it needs when it runs (the database driver, the settings, the
geocoder, numba …), so ``dizhi --help`` starts at once; ``dizhi parse`` from a pipe does not even
come here (api.cli.main).
"""

import os
from pathlib import Path
from typing import Annotated

import typer

from address.errors import DizhiError
from api.cli.address import match_command, standardize_command
from api.cli.buildings import buildings_app
from api.cli.common import connect, console, progress_bar, write_conn
from api.cli.energy import energy_app
from api.cli.geocode import geocode_command, reverse_command, suggest_command
from api.cli.hotline import hotline_app
from api.cli.imports import import_app
from api.cli.jobs import worker_command
from api.cli.layers import layers_app, quality_app
from api.cli.places import pending_app, places_app, roads_app
from api.cli.privacy import rotate_secret_command, watermark_app

app = typer.Typer(help="dizhi: standard addresses and spatial layers for a district.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The embedded PostgreSQL + PostGIS cluster under var/pg.",
                     no_args_is_help=True)
load_app = typer.Typer(help="Load data sets.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(load_app, name="load")
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")
app.add_typer(roads_app, name="roads")
app.add_typer(places_app, name="places")
app.add_typer(pending_app, name="pending")
app.add_typer(buildings_app, name="buildings")
app.add_typer(layers_app, name="layers")
app.add_typer(quality_app, name="quality")
app.add_typer(hotline_app, name="hotline")
app.add_typer(energy_app, name="energy")
app.add_typer(watermark_app, name="watermark")
keys_app.command("rotate-secret")(rotate_secret_command)
app.command("geocode")(geocode_command)
app.command("reverse")(reverse_command)
app.command("suggest")(suggest_command)
app.command("standardize")(standardize_command)
app.command("match")(match_command)
app.command("worker")(worker_command)


@db_app.command("start")
def db_start() -> None:
    """Initialise (first time) and start the embedded cluster; create the database."""
    from api import db
    from api.settings import get_settings

    settings = get_settings()
    if settings.database.url:
        console.print("DIZHI_DATABASE_URL is set: using that server, nothing to start")
        return
    cluster = db.embedded_cluster(settings)
    with progress_bar() as progress:
        progress.add_task(f"starting PostgreSQL in {cluster.data_dir}", total=None)
        started = cluster.start()
        cluster.ensure_database(settings.database.name)
    state = "started" if started else "already running"
    console.print(f"embedded PostgreSQL {state} on 127.0.0.1:{cluster.port}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded cluster."""
    from api import db

    stopped = db.embedded_cluster().stop()
    console.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say where the database is and whether it answers (exit 1 if not)."""
    import psycopg

    from api.settings import get_settings

    settings = get_settings()
    embedded = f"embedded ({settings.var_dir / 'pg'})"
    where = "DIZHI_DATABASE_URL" if settings.database.url else embedded
    try:
        with connect() as conn:
            row = conn.execute("SELECT version(), postgis_lib_version()").fetchone()
    except (psycopg.Error, DizhiError, OSError) as exc:
        console.print(f"{where}: not reachable ({str(exc).strip().splitlines()[0]})")
        raise typer.Exit(1) from None
    assert row is not None
    typer.echo(f"{where}: up — {row[0].split(',')[0]}, PostGIS {row[1]}")


@db_app.command("url")
def db_url() -> None:
    """Print the database URL (contains the password)."""
    from api import db

    typer.echo(db.database_url())


@db_app.command("replica")
def db_replica(
    root: Annotated[Path, typer.Argument(help="the replica's directory, e.g. var/pg-replica1")],
    port: Annotated[int, typer.Option(help="its port on 127.0.0.1")] = 54330,
    stop: Annotated[bool, typer.Option(help="stop it instead")] = False,
) -> None:
    """Make (the first time: pg_basebackup -R) and start a streaming replica of the embedded
    cluster, and print its URL for DIZHI_DATABASE_REPLICA_URLS (docs/scale.md)."""
    from api import db
    from api.db.cluster import Cluster
    from api.settings import get_settings

    settings = get_settings()
    if stop:
        stopped = Cluster(root=root.resolve(), port=port).stop()
        console.print("stopped" if stopped else "not running")
        return
    with progress_bar() as progress:
        progress.add_task(f"starting a replica in {root}", total=None)
        replica = db.embedded_cluster(settings).make_replica(root.resolve(), port)
    typer.echo(replica.url(settings.database.name))


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply the Alembic migrations."""
    from api import db

    with progress_bar() as progress:
        progress.add_task(f"migrating to {revision}", total=None)
        db.migrate(db.database_url(), revision)
    console.print("schema up to date")


@load_app.command("sample")
def load_sample(
    sample_dir: Annotated[Path | None, typer.Option(help="defaults to data/sample")] = None,
    force: Annotated[bool, typer.Option(help="load even if this sample is already loaded")] = False,
    park: Annotated[bool, typer.Option(help="load the synthetic sample park (energy)")] = True,
    park_days: Annotated[int | None, typer.Option(help="only the park's first days")] = None,
    park_enterprises: Annotated[int | None, typer.Option(
        help="only the park's first enterprises (and their feeders)")] = None,
) -> None:
    """Load the sample district (admin areas, 850 real addresses, buildings) and the synthetic
    sample park (a year of 15-minute data for ~300 meters); safe to run again."""
    from api.settings import get_settings
    from layers.energy.sample_park import load_sample_park
    from spatial.sample import load_sample_once

    directory = sample_dir or get_settings().data_dir / "sample"
    with progress_bar() as progress, write_conn() as conn:
        progress.add_task(f"loading the sample district from {directory}", total=None)
        counts, loaded = load_sample_once(conn, sample_dir=directory, force=force)
    state = "loaded" if loaded else "already loaded, unchanged (--force to reload)"
    console.print(f"sample {state}: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    if not park:
        return
    with progress_bar() as progress, write_conn() as conn:
        progress.add_task("loading the sample park (readings, cleaning, roll-ups)", total=None)
        parked = load_sample_park(conn, sample_dir=directory,
                                  district=get_settings().district_codes[0],
                                  days=park_days, enterprises=park_enterprises)
    console.print("sample park: " + ", ".join(f"{k}: {v}" for k, v in parked.items()))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    worker: Annotated[bool, typer.Option(
        help="run a job worker in each server process (DIZHI_JOBS__IN_PROCESS_WORKER)")] = True,
    access_log: Annotated[bool, typer.Option(help="log every request (queries masked)")] = True,
) -> None:
    """Serve the API and the map page; with --no-worker, run jobs with `dizhi worker`."""
    from api.serve import serve as serve_app

    if not worker:  # read by each server process's settings
        os.environ["DIZHI_JOBS__IN_PROCESS_WORKER"] = "false"
    console.print(f"dizhi on http://{host}:{port}/  (map at /, API docs at /docs)")
    try:
        serve_app("api.asgi:app", host=host, port=port, workers=workers, access_log=access_log)
    except OSError as failed:  # the listening sockets (uvicorn reports its own and exits)
        console.print(f"[red]cannot listen on {host}:{port}: {failed.strerror or failed}[/red]")
        raise typer.Exit(1) from None


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="public, hotline, planner, steward or admin")],
    name: Annotated[str, typer.Option(help="who or what the key is for")] = "",
) -> None:
    """Create an API key; it is printed once and stored only as a hash."""
    from api.auth import create_key

    with write_conn() as conn:
        new = create_key(conn, role=role, name=name)
    console.print(f"key {new.id} for role {new.role} (store it now, it is not shown again):")
    typer.echo(new.key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (no secrets)."""
    from api.auth import list_keys

    with connect() as conn:
        for key in list_keys(conn):
            revoked = f" revoked {key['revoked_at']:%Y-%m-%d}" if key["revoked_at"] else ""
            typer.echo(f"{key['id']}\t{key['role']}\tdz_{key['prefix']}_…\t{key['name']}{revoked}")


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key by id."""
    from api.auth import revoke_key

    with write_conn() as conn:
        if not revoke_key(conn, key_id=key_id):
            console.print(f"no active key {key_id}")
            raise typer.Exit(1)
    console.print(f"key {key_id} revoked")


@app.command()
def parse(
    conll: Annotated[bool, typer.Option("--conll", help="CCKS format: char, BIOES tag")] = False,
) -> None:
    """Parse one address per stdin line into JSON lines (or CCKS CoNLL)."""
    from api.cli.parse_io import parse_stdin

    parse_stdin(conll=conll)
    QUICK_EXIT.append(True)


# Commands that hold nothing to clean up when they end: the process exits without the
# interpreter's teardown, which with numba and LLVM loaded takes 0.3 s (a third of a one-line
# `dizhi parse`). Only api.cli.main.main() acts on it, so in-process callers (tests) never exit.
QUICK_EXIT: list[bool] = []
