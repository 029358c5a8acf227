"""The ``aftershock`` command line: wires the command modules of :mod:`app.commands`."""

from __future__ import annotations

import logging
import sys

import typer

from analytics.errors import AftershockError
from app.commands import data, export, refresh, serve, study

__all__ = ["cli", "main", "one_line"]

cli = typer.Typer(
    name="aftershock",
    help="Aftershock: what did this news do to which stocks, and is it real or noise?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(data.cli, name="data")
cli.command("study")(study.study)
cli.command("export")(export.export)
cli.command("refresh")(refresh.refresh)
cli.command("serve")(serve.serve)


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line (a quoted parser error may span several)."""
    return " ".join(str(exc).split())


def main() -> None:
    """Console-script entry point: one clear line and a non-zero exit for user errors."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli()
    except AftershockError as exc:
        # One line even when a message quotes a multi-line library error.
        typer.secho(f"error: {one_line(exc)}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except OSError as exc:
        # The machine, not the input: a full disk, a vanished folder. Still one line.
        where = f" ({exc.filename})" if exc.filename else ""
        typer.secho(f"error: {exc.strerror or exc}{where}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.secho("interrupted", err=True)
        sys.exit(130)
