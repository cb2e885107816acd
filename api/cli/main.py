"""The ``dizhi`` console script: the commands are in api.cli.app (typer).

``dizhi parse`` with no option but ``--conll`` runs without typer: typer builds a pydantic
adapter per parameter when it parses a command line, and it, pydantic and the other command
modules were a fifth of a whole ``dizhi parse`` over 50,000 addresses. Everything else (``dizhi
parse --help`` too) goes through the typer app.
"""

import os
import sys
from typing import Any

from address.errors import DizhiError


def main() -> None:
    try:
        if _plain_parse(sys.argv[1:]):
            from api.cli.parse_io import parse_stdin

            parse_stdin(conll="--conll" in sys.argv)
            _quick_exit()
        from api.cli.app import app

        app()
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        os._exit(1)
    except DizhiError as exc:
        from api.cli.common import console

        console.print(f"[red]error:[/red] {exc.detail}")
        sys.exit(2 if exc.status < 500 else 1)
    except SystemExit as done:
        from api.cli.app import QUICK_EXIT

        if not QUICK_EXIT or done.code not in (0, None):
            raise
        _quick_exit()


def _plain_parse(args: list[str]) -> bool:
    return bool(args) and args[0] == "parse" and set(args[1:]) <= {"--conll"}


def _quick_exit() -> None:
    """Exit without the interpreter's teardown (see api.cli.app.QUICK_EXIT)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def __getattr__(name: str) -> Any:
    """``api.cli.main.app``: the typer app, where callers have long found it."""
    if name == "app":
        from api.cli.app import app

        return app
    raise AttributeError(name)
