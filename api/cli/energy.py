"""``dizhi energy import | mqtt | key``: readings from a CSV file or an MQTT broker, enterprise
keys."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from api.cli.common import connect, console, progress_bar

energy_app = typer.Typer(help="Park energy monitoring: readings in, enterprise keys.",
                         no_args_is_help=True)
CHUNK = 8 << 20


def line_chunks(handle: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """The file in pieces of about ``size`` bytes, each ending at a line's end."""
    rest = b""
    while block := handle.read(size):
        block = rest + block
        cut = block.rfind(b"\n") + 1
        if cut == 0:
            rest = block
            continue
        rest = block[cut:]
        yield block[:cut]
    if rest.strip():
        yield rest


@energy_app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="CSV with the header meter_id,ts,value; ts ISO "
                                              "8601 with its UTC offset")],
    connections: Annotated[int, typer.Option(min=1, max=8, help="connections writing at once "
                                                                "(the meters shared out)")] = 2,
) -> None:
    """Import readings, ~8 MB at a time, parsed while the pieces before are written; each
    connection's share of a piece is one transaction, so a re-run after a failure completes
    the file (the same readings again change nothing)."""
    from api.cli.energy_import import import_pieces

    started = time.perf_counter()
    with path.open("rb") as handle, progress_bar() as bar:
        task = bar.add_task(f"importing {path.name} (bytes)", total=path.stat().st_size)
        total = import_pieces(connect, chunks=line_chunks(handle), connections=connections,
                              done=lambda size: bar.advance(task, size))
    seconds = time.perf_counter() - started
    console.print(f"{total.received} readings in {seconds:.1f} s: {total.inserted} new, "
                  f"{total.corrected} corrected, {total.unchanged} unchanged")


@energy_app.command("mqtt")
def mqtt_command(
    host: Annotated[str, typer.Option(help="broker host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="broker port")] = 1883,
    seconds: Annotated[float, typer.Option(help="stop after this long (0: run until ^C)")] = 0,
    messages: Annotated[int, typer.Option(help="stop after this many messages (0: no limit)")]
    = 0,
) -> None:
    """Subscribe to dizhi/<meter_id> (and emon/<node>/<key>) and write the readings."""
    from layers.energy.mqtt import Subscriber, run

    deadline = time.monotonic() + seconds if seconds else None
    subscriber = Subscriber(host, port)
    console.print(f"subscribed to {host}:{port} dizhi/# emon/#")
    with connect() as conn:
        try:
            stats = run(conn, subscriber, until=lambda s: bool(
                (deadline and time.monotonic() > deadline)
                or (messages and s.received >= messages)))
        except KeyboardInterrupt:
            stats = subscriber.stats
    console.print(f"{stats.received} messages: {stats.written} written, {stats.rejected} "
                  f"rejected, {stats.unknown} for unknown meters")
    for error in stats.errors[:5]:
        console.print(f"  {error}")


@energy_app.command("key")
def key_command(
    enterprise_id: Annotated[int, typer.Option(help="the enterprise the key may read")],
    name: Annotated[str, typer.Option(help="who the key is for")] = "",
) -> None:
    """Create an enterprise key: it reads only that enterprise's energy data."""
    from api.auth import create_key
    from layers.energy.access import bind_key

    with connect() as conn, conn.transaction():
        new = create_key(conn, role="enterprise", name=name)
        bind_key(conn, key_id=new.id, enterprise_id=enterprise_id)
    console.print(f"key {new.id} for enterprise {enterprise_id} (store it now):")
    typer.echo(new.key)


@energy_app.command("recompute")
def recompute_command(
    meters: Annotated[int, typer.Option(help="meters per chunk")] = 200,
    days: Annotated[int, typer.Option(help="queued days per meter per chunk")] = 62,
    chunks: Annotated[int, typer.Option(help="stop after this many chunks (0: until empty)")]
    = 0,
) -> None:
    """Clean, roll up and scan for anomalies what the queue holds; each chunk one transaction,
    so an interrupted run loses at most a chunk and a re-run carries on."""
    from layers.energy.recompute import recompute

    done = 0
    started = time.perf_counter()
    with connect() as conn:
        while not chunks or done < chunks:
            with conn.transaction():
                report = recompute(conn, max_meters=meters, max_days=days)
            if not report.meters:
                break
            done += 1
            console.print(f"chunk {done}: {report.meters} meters, {report.days} days,"
                          f" {report.intervals} intervals, {report.alarms} alarms")
    console.print(f"{done} chunks in {time.perf_counter() - started:.1f} s")
