"""The one exception tree of Aftershock.

Every error a user can cause derives from :class:`AftershockError`; each also derives from the
built-in it refines (``ValueError`` or ``LookupError``) so generic handlers keep working::

    Exception
    └── AftershockError              .parameter: the parameter at fault, or None
        ├── SpecError(ValueError)    an invalid input: spec, date, window, ticker list, option
        │   └── ConfigError          a project config file (TOML) that does not validate
        ├── DataError(ValueError)    malformed data: wrong columns, bad dates, NaN prices
        ├── UnknownTickerError(LookupError)     a ticker no source knows
        ├── InsufficientDataError(LookupError)  too little history for what was asked
        ├── SourceError              a market-data source failed after its retries
        ├── StoreError               the local store cannot be read or written
        └── RenderError              a chart cannot be rendered to a file (no Chromium)

Messages say what is wrong, the offending value, and what to do, and name the *parameter* (e.g.
``event_date``, ``factors``), never a command-line flag or an environment variable: the CLI maps
:attr:`AftershockError.parameter` to its flag when it prints the error.

>>> err = SpecError("event_date: '2025-13-01' is not a date; use YYYY-MM-DD")
>>> err.parameter
'event_date'
>>> SpecError("window: empty", parameter="windows").parameter
'windows'
>>> isinstance(ConfigError("x"), ValueError)
True
"""

from __future__ import annotations

import re

__all__ = [
    "AftershockError",
    "ConfigError",
    "DataError",
    "InsufficientDataError",
    "RenderError",
    "SourceError",
    "SpecError",
    "StoreError",
    "UnknownTickerError",
]

# "name: ..." or "name[3]: ..." at the start of a message names the parameter at fault.
_LEADING_NAME = re.compile(r"^([a-z_][a-z0-9_]*)(?:\[[^\]]*\])?:\s")


class AftershockError(Exception):
    """Base class of every error Aftershock raises on purpose.

    Parameters
    ----------
    message
        One line: what is wrong, the offending value, what to do.
    parameter
        The parameter at fault (``"event_date"``, ``"tickers"``, ...). By default the name a
        message starts with (``"event_date: ..."``), or None when it starts with none.
    """

    parameter: str | None

    def __init__(self, message: str = "", *, parameter: str | None = None) -> None:
        super().__init__(message)
        if parameter is None:
            found = _LEADING_NAME.match(message)
            parameter = found.group(1) if found else None
        self.parameter = parameter

    def __reduce__(self) -> tuple[object, ...]:
        # Results and errors cross process boundaries (background jobs): keep the parameter.
        return (_rebuild, (type(self), str(self), self.parameter))


def _rebuild(cls: type[AftershockError], message: str, parameter: str | None) -> AftershockError:
    return cls(message, parameter=parameter)


class SpecError(AftershockError, ValueError):
    """An invalid input: a study spec, a date, a window, a ticker list, an option value."""


class ConfigError(SpecError):
    """A project config file that cannot be read or does not validate (a :class:`SpecError`)."""


class DataError(AftershockError, ValueError):
    """Malformed input data: a file with wrong columns, bad dates, NaN or negative prices."""


class UnknownTickerError(AftershockError, LookupError):
    """A ticker that no source knows."""


class InsufficientDataError(AftershockError, LookupError):
    """Too little price history for what was asked (e.g. no usable firm in a study)."""


class SourceError(AftershockError):
    """A market-data source failed (network, rate limit, empty answer) after its retries."""


class StoreError(AftershockError):
    """The local store cannot be read or written (locked, unreadable directory)."""


class RenderError(AftershockError):
    """A chart cannot be rendered to an image file (e.g. Chromium is missing for kaleido)."""
