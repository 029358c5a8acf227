"""The one exception tree of Aftershock.

Every error a user can cause derives from :class:`AftershockError`; each also derives from the
built-in it refines (``ValueError`` or ``LookupError``) so generic handlers keep working. Messages
say what is wrong, the offending value, and what to do.
"""

from __future__ import annotations

__all__ = [
    "AftershockError",
    "DataError",
    "InsufficientDataError",
    "SourceError",
    "SpecError",
    "StoreError",
    "UnknownTickerError",
]


class AftershockError(Exception):
    """Base class of every error Aftershock raises on purpose."""


class SpecError(AftershockError, ValueError):
    """An invalid input: a study spec, a date, a window, a ticker list, a config value."""


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
