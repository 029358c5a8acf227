"""Market-data sources: Yahoo Finance (live) and data-pack files (offline).

Every source returns tidy long prices ``(ticker, date, adj_close[, open, high, low, close,
volume])`` as validated by :func:`analytics.data.schema.validate_prices`, plus the tickers it
could not serve and why. ``end`` is inclusive everywhere in Aftershock; sources translate to
their own conventions (Yahoo's ``end`` is exclusive).

May import ``analytics.errors``, ``analytics.calendar`` and ``analytics.data.schema``; never
``app``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from analytics.data.schema import ValidatedPrices

__all__ = ["Source", "SourceResult"]


@dataclass(frozen=True, kw_only=True)
class SourceResult:
    """What a source returned: tidy prices and, per ticker it could not serve, the reason.

    A source that validated its rows builds the result with :meth:`of_valid`, so the fetcher
    does not check them again; ``prices`` of any other result are validated by the fetcher.
    """

    prices: pd.DataFrame
    missing: dict[str, str] = field(default_factory=dict)
    validated: ValidatedPrices | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of_valid(cls, prices: ValidatedPrices, missing: dict[str, str]) -> SourceResult:
        """A result over rows the source already validated."""
        return cls(prices=prices.frame, missing=missing, validated=prices)

    def valid_prices(self, *, origin: str) -> ValidatedPrices:
        """The rows as :class:`ValidatedPrices`: validated now unless the source did."""
        if self.validated is not None and self.validated.frame is self.prices:
            return self.validated
        return ValidatedPrices.check(self.prices, origin=origin)


class Source(Protocol):
    """A market-data source the fetcher can consult."""

    name: str

    def get(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> SourceResult:
        """Daily prices of ``tickers`` for sessions in ``[start, end]`` (inclusive)."""
        ...
