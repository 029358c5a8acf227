"""The one output style of the command line: results on stdout; errors, warnings and notes on
stderr, one line each, prefixed and coloured the same way by every command."""

from __future__ import annotations

import typer

__all__ = ["error", "note", "one_line", "result", "warning"]


def result(text: str) -> None:
    """What the command produced (a summary, a file written): stdout, uncoloured."""
    typer.echo(text)


def one_line(message: object) -> str:
    """``message`` on one line (a quoted parser error may span several).

    >>> one_line("bad row:\\n  2025-01-27,,x")
    'bad row: 2025-01-27,,x'
    """
    return " ".join(str(message).split())


def error(text: str) -> None:
    """The one line of a user error: ``error: ...`` in red on stderr."""
    typer.secho(f"error: {one_line(text)}", err=True, fg=typer.colors.RED)


def warning(text: str) -> None:
    """Something usable but worse (a ticker without prices): yellow on stderr."""
    typer.secho(text, err=True, fg=typer.colors.YELLOW)


def note(text: str) -> None:
    """Progress or context the user may ignore: stderr, uncoloured."""
    typer.secho(text, err=True)
