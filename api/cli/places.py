"""``dizhi roads …``, ``dizhi places …`` and ``dizhi pending …``: the steward's managed roads and
places, and the imported addresses waiting for review. Output is JSON lines (one per row)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from api.cli.common import connect, write_conn

pending_app = typer.Typer(help="Imported addresses waiting for a steward.", no_args_is_help=True)
CLI_ACTOR = "cli"


def _print(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


def _place_app(kinds: tuple[str, ...], what: str) -> typer.Typer:
    """One command group (roads or places): list, show, create, rename, merge, retire."""
    group = typer.Typer(help=f"{what}: list, show, create, rename, merge, retire.",
                        no_args_is_help=True)

    @group.command("list")
    def list_(q: Annotated[str | None, typer.Option(help="name prefix or alias")] = None,
              status: Annotated[str | None, typer.Option(help="active, merged, retired")]
              = "active", limit: int = 100) -> None:
        from address.register.places import list_places

        with connect() as conn:
            _, rows = list_places(conn, kinds=kinds, status=status, q=q, limit=limit, offset=0)
        for row in rows:
            _print(row)

    @group.command("show")
    def show(code: str) -> None:
        """One place with its history."""
        from address.register.places import get_place

        with connect() as conn:
            _print(get_place(conn, code=code))

    @group.command("create")
    def create(name: str, kind: Annotated[str, typer.Option()] = kinds[0],
               town: Annotated[str | None, typer.Option(help="town code")] = None) -> None:
        from address.register.places import create_place
        from api.settings import get_settings

        if kind not in kinds:
            raise typer.BadParameter(f"kind is one of {', '.join(kinds)}")
        with write_conn() as conn:
            _print(create_place(conn, district=get_settings().district_codes[0], kind=kind,
                                name=name, town_code=town, key_id=None))

    @group.command("rename")
    def rename(code: str, name: str) -> None:
        """Rename; the old name stays as an alias."""
        from address.register.places import rename_place

        with write_conn() as conn:
            _print(rename_place(conn, code=code, name=name, key_id=None))

    @group.command("merge")
    def merge(code: str, into: str) -> None:
        """Merge CODE into INTO: addresses moved, the name kept as an alias."""
        from address.register.places import merge_place

        with write_conn() as conn:
            _print(merge_place(conn, code=code, into=into, key_id=None))

    @group.command("retire")
    def retire(code: str) -> None:
        """Retire, with its addresses."""
        from address.register.places import retire_place

        with write_conn() as conn:
            _print(retire_place(conn, code=code, key_id=None))

    return group


roads_app = _place_app(("road",), "Roads")
places_app = _place_app(("poi", "village", "community", "devzone"),
                        "Places (compounds, POIs, villages, communities, zones)")


@pending_app.command("list")
def pending_list(place: Annotated[str | None, typer.Option(help="a new place's name")] = None,
                 status: str = "open", limit: int = 100) -> None:
    from address.register.pending import list_pending

    with connect() as conn:
        _, rows = list_pending(conn, status=status, place=place, limit=limit, offset=0)
    for row in rows:
        _print(row)


@pending_app.command("approve")
def pending_approve(ids: list[int], note: str = "") -> None:
    """Approve: the addresses become active, with their new road or place."""
    from address.register.pending import approve_pending

    with write_conn() as conn:
        for row in approve_pending(conn, ids=ids, reviewer=CLI_ACTOR, note=note):
            _print(row)


@pending_app.command("reject")
def pending_reject(ids: list[int], note: str = "") -> None:
    from address.register.pending import reject_pending

    with write_conn() as conn:
        for row in reject_pending(conn, ids=ids, reviewer=CLI_ACTOR, note=note):
            _print(row)
