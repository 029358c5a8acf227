"""Exit codes of the ``aftershock`` command line, and the flag that names an error's parameter.

Messages from :mod:`analytics` name the *parameter* at fault (``event_date``, ``tickers``), never
a flag or an environment variable: :func:`with_flag` adds the flag the user typed (``--event-date``)
to the one error line the CLI prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from analytics.errors import AftershockError
from app.cli.options import FLAGS

__all__ = [
    "BUSY",
    "FAILED",
    "INTERRUPTED",
    "OK",
    "USAGE",
    "flag_of",
    "with_flag",
]

OK: Final = 0
FAILED: Final = 1
"""The command ran but its work failed (a saved study, a ticker without prices)."""
USAGE: Final = 2
"""A user error: a bad option, value, file or config; nothing was changed."""
BUSY: Final = 3
"""Another refresh of the same store is running."""
INTERRUPTED: Final = 130
"""Ctrl+C (128 + SIGINT), as shells report it."""

_OTHER_FLAGS: Final[Mapping[str, str]] = {
    "store": "--store",
    "drop_invalid": "--drop-invalid",
    "config": "--config",
    "offline": "AFTERSHOCK_OFFLINE",
    "data_pack": "AFTERSHOCK_DATA",
    "reference": "AFTERSHOCK_REFERENCE",
}


def flag_of(parameter: str | None) -> str | None:
    """The flag (or variable) that sets ``parameter``: ``"event_date"`` → ``"--event-date"``.

    >>> flag_of("event_date"), flag_of("store"), flag_of("nothing")
    ('--event-date', '--store', None)
    """
    if not parameter:
        return None
    return FLAGS.get(parameter) or _OTHER_FLAGS.get(parameter)


def with_flag(exc: AftershockError) -> str:
    """The error's message followed by the flag of its parameter, unless it already names it."""
    text = str(exc)
    flag = flag_of(exc.parameter)
    return f"{text} ({flag})" if flag and flag not in text else text
