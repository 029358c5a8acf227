"""The ``aftershock`` command line: wires the command modules of :mod:`app.cli`."""

from __future__ import annotations

import logging
import sys

import typer

from analytics.errors import AftershockError
from app.cli import data, exits, export, news, output, refresh, serve, study

__all__ = ["cli", "main"]

cli = typer.Typer(
    name="aftershock",
    help="Aftershock: what did this news do to which stocks, and is it real or noise?",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(data.cli, name="data")
cli.add_typer(news.cli, name="news")
cli.command("study")(study.study)
cli.command("export")(export.export)
cli.command("refresh")(refresh.refresh)
cli.command("serve")(serve.serve)


def main() -> None:
    """Console-script entry point: one clear line and a non-zero exit for user errors."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli()
    except AftershockError as exc:
        output.error(exits.with_flag(exc))
        sys.exit(exits.USAGE)
    except OSError as exc:
        # The machine, not the input: a full disk, a vanished folder. Still one line.
        where = f" ({exc.filename})" if exc.filename else ""
        output.error(f"{exc.strerror or exc}{where}")
        sys.exit(exits.FAILED)
    except KeyboardInterrupt:
        output.note("interrupted")
        sys.exit(exits.INTERRUPTED)
