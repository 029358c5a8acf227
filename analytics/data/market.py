"""The "all US stocks" universe: every common stock with enough history for a study.

The rule, in two steps, both vectorized (no loop over tickers):

1. **Common stocks** (:func:`common_stocks`), one ticker per company: the SEC's company list
   (``sec-company-tickers.json``; operating-company registrants, so most ETFs, every index such
   as ``^IRX`` and every ticker the SEC does not list are out) keeps each company's (CIK's)
   first ticker, its main listing (``GOOGL`` not ``GOOG``, ``BRK-B`` not ``BRK-A``, never a
   preferred series); then drops

   * registrants whose SEC title names a fund (:data:`FUND_TITLE`: "ETF", "ETN", "Fund",
     "Portfolio"; a fund sponsor's or an asset's "Trust", e.g. ``SPDR GOLD TRUST``,
     ``INVESCO QQQ TRUST, SERIES 1``, ``BlackRock Municipal 2030 Target Term Trust``; a
     trust whose title says realty, property, REIT, mortgage or royalty is an operating
     company and stays);
   * tickers of other securities (:data:`NOT_COMMON`): Nasdaq's fifth letters of preferred
     shares, units, warrants and rights (``CHSCN``), Yahoo's ``-P…``, ``-U``/``-UN``,
     ``-W``/``-WS``/``-WT`` and ``-R``/``-RT`` suffixes.
2. **Enough history** (:func:`with_history`): at least ``min_estimation`` valid returns (both
   closes on consecutive XNYS sessions) in the estimation window of the event, counted on one
   panel read of the store.

The universe counts firms, each once, in the SEC list's order (largest companies first).

>>> [bool(FUND_TITLE.search(t)) for t in ("SPDR GOLD TRUST", "VORNADO REALTY TRUST")]
[True, False]
>>> [bool(NOT_COMMON.search(t)) for t in ("CHSCN", "GOOGL", "BRK-B", "GRP-UN", "JPM-PC")]
[True, False, False, True, True]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Final, Protocol

import numpy as np
import pandas as pd

from analytics import calendar
from analytics.data.reference import sec_companies

__all__ = [
    "FUND_TITLE",
    "NOT_COMMON",
    "PanelSource",
    "common_stocks",
    "market_universe",
    "with_history",
]

_SPONSORS: Final = (
    "SPDR|iShares|Invesco|Sprott|Grayscale|ProShares|Teucrium|Amplify|GraniteShares|abrdn|"
    "Osprey|Bitwise|Gabelli|GAMCO|BlackRock|Eaton Vance|Nuveen|PIMCO|Putnam|MFS|Royce|"
    "John Hancock|Western Asset|Franklin|Calamos|DWS|Guggenheim|Thornburg|Angel Oak|XAI|"
    "STRATS|PPLUS|Tidal|VS|World|COTWO|Merrill Lynch Depositor"
)
_ASSETS: Final = (
    "Gold|Silver|Platinum|Palladium|Bitcoin|Ether|Ethereum|Crypto|XRP|Dogecoin|Chainlink|"
    "Stellar|Commodity|Commodities|Commodity-Indexed|Currency|CurrencyShares|Municipal|"
    "Municipals|Income|Bond|Dividend|Allocation|Term|Carbon"
)
_OPERATING: Final = "Realty|Property|Properties|REIT|Mortgage|Royalty"
FUND_TITLE: Final = re.compile(
    rf"\b(?:ETF|ETN|ETP|Funds?|Portfolio)\b"
    rf"|^(?!.*\b(?:{_OPERATING})\b)(?:(?:{_SPONSORS})\b.*\bTrust\b|.*\b(?:{_ASSETS})\b.*\bTrust\b)",
    re.IGNORECASE,
)
"""SEC titles of funds, ETFs and investment trusts (:func:`common_stocks` drops them)."""


NOT_COMMON: Final = re.compile(r"^[A-Z]{4}[MNOPRUW]$|-(?:P[A-Z]*|UN?|W[ST]?|RT?)$")
"""Tickers of preferred shares, units, warrants and rights (Nasdaq's fifth letters M, N, O, P,
R, U, W; Yahoo's suffixes)."""


class PanelSource(Protocol):
    """Where :func:`with_history` reads closes (a :class:`~analytics.data.store.PriceStore`)."""

    def panel(self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Adjusted closes, one row per session and one column per ticker."""
        ...


def common_stocks(reference_dir: Path) -> pd.DataFrame:
    """The common stocks of the SEC list, one per company, in the SEC's order (largest first):
    step 1 of the module's rule.

    Returns
    -------
    pandas.DataFrame
        ``ticker``, ``name`` and ``cik``, one row per company.
    """
    return _common_stocks(Path(reference_dir).resolve()).copy(deep=False)


@lru_cache(maxsize=4)
def _common_stocks(reference_dir: Path) -> pd.DataFrame:
    sec = sec_companies(reference_dir)
    sec = sec[~sec["cik"].duplicated()]
    fund = sec["name"].str.contains(FUND_TITLE, regex=True)
    other = sec["ticker"].str.contains(NOT_COMMON, regex=True)
    return sec[~fund & ~other].reset_index(drop=True)


def with_history(
    prices: PanelSource,
    tickers: Sequence[str],
    *,
    day0: pd.Timestamp,
    estimation: tuple[int, int],
    min_estimation: int,
) -> np.ndarray:
    """Which of ``tickers`` have ``min_estimation`` valid returns in the estimation window.

    ``day0`` is the event's day-0 session (:func:`analytics.calendar.day_zero`). A return on
    relative day t is valid when the closes of days t − 1 and t are both there and
    positive; the window ``(a, b)`` counts days a … b, so it reads the closes of a − 1 … b.

    Returns
    -------
    numpy.ndarray
        One bool per ticker, in the given order.
    """
    start = calendar.offset(day0, estimation[0] - 1)
    end = calendar.offset(day0, estimation[1])
    closes = prices.panel(list(tickers), start, end).to_numpy(dtype="float64")
    priced = closes > 0  # NaN compares False
    valid = (priced[1:] & priced[:-1]).sum(axis=0)
    return np.asarray(valid >= min_estimation, dtype=bool)


def market_universe(
    prices: PanelSource,
    reference_dir: Path,
    *,
    day0: pd.Timestamp,
    estimation: tuple[int, int],
    min_estimation: int,
    exclude: Sequence[str] = (),
) -> tuple[str, ...]:
    """Every common stock with enough history for the study (the module's rule), one ticker
    per company, in the SEC list's order; ``exclude`` (e.g. the benchmark) left out.

    ``day0`` is the event's day-0 session.
    """
    stocks = common_stocks(reference_dir)
    stocks = stocks[~stocks["ticker"].isin(list(exclude))]
    enough = with_history(
        prices,
        stocks["ticker"].tolist(),
        day0=day0,
        estimation=estimation,
        min_estimation=min_estimation,
    )
    return tuple(str(t) for t in stocks.loc[enough, "ticker"].tolist())
