"""``dizhi keys rotate-secret`` and ``dizhi watermark identify FILE``."""

import json
from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import connect, console
from api.secret import app_keyring, rotate_secret
from layers.hotline.watermark import identify

watermark_app = typer.Typer(help="Watermarks in exported files.", no_args_is_help=True)


def rotate_secret_command() -> None:
    """Seal every ticket's text and contact again with a new key (one transaction; the old key
    is kept in var/secret.key until every row is sealed again). With DIZHI_SECRET_KEY, put the
    new key first ("new,old") and run this; then drop the old one from the variable."""
    keyring = app_keyring()
    with connect() as conn:
        report = rotate_secret(conn, keyring)
    typer.echo(json.dumps(report))


@watermark_app.command("identify")
def identify_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a CSV or GeoJSON")],
) -> None:
    """Name the API key that exported FILE (from its invisible marks)."""
    found = identify(app_keyring(), file.read_text(encoding="utf-8-sig", errors="replace"))
    if found["key_id"] is None:
        console.print("no watermark found")
        raise typer.Exit(1)
    with connect() as conn:
        row = conn.execute("SELECT name, role, created_at FROM api_key WHERE id = %s",
                           [found["key_id"]]).fetchone()
    if row:
        found.update(name=row[0], role=row[1], created_at=row[2].isoformat())
    typer.echo(json.dumps(found, ensure_ascii=False))
