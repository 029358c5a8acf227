"""The "all US stocks" universe (analytics.data.market) against an independent computation on
the real US pack and the SEC list: the history rule counted row by row in long format (not on
a wide panel), the common-stock rule checked on firms whose listing is a known fact."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics import calendar
from analytics.data.market import common_stocks, market_universe, with_history
from analytics.data.memory import MemoryPrices
from tests.support import REFERENCE, US_PACK

DAY0 = calendar.day_zero("2025-01-27")
ESTIMATION = (-250, -11)
MIN_RETURNS = 120


@pytest.fixture(scope="module")
def span_rows() -> pd.DataFrame:
    """The pack's rows over the estimation window's closes (days −251 … −11)."""
    if not US_PACK.is_file():
        pytest.skip(f"US pack not found at {US_PACK}")
    first = calendar.offset(DAY0, ESTIMATION[0] - 1).date()
    last = calendar.offset(DAY0, ESTIMATION[1]).date()
    return duckdb.sql(
        f"SELECT ticker, date, adj_close FROM read_parquet('{US_PACK}') "
        f"WHERE date BETWEEN DATE '{first}' AND DATE '{last}'"
    ).df()


def _valid_returns(rows: pd.DataFrame) -> pd.Series:
    """Per ticker, returns whose two closes are on consecutive sessions and positive, counted
    in long format: each row's session number against its predecessor's."""
    sessions = calendar.sessions(rows["date"].min(), rows["date"].max())
    number = pd.Series(np.arange(len(sessions)), index=sessions)
    kept = rows[rows["adj_close"] > 0].copy()
    kept["session"] = pd.to_datetime(kept["date"]).map(number)
    kept = kept.dropna(subset=["session"]).sort_values(["ticker", "session"])
    step = kept.groupby("ticker")["session"].diff()
    return (step == 1).groupby(kept["ticker"]).sum()


def _sec_first_tickers() -> dict[int, str]:
    """Each CIK's first ticker in the SEC file's order, read with json."""
    raw = json.loads((REFERENCE / "sec-company-tickers.json").read_text())
    first: dict[int, str] = {}
    for row in raw.values():
        first.setdefault(int(row["cik_str"]), str(row["ticker"]).replace(".", "-").upper())
    return first


@pytest.mark.slow
def test_the_universe_is_the_common_stocks_with_enough_history(span_rows: pd.DataFrame) -> None:
    counts = _valid_returns(span_rows)
    enough = set(counts.index[counts >= MIN_RETURNS])
    stocks = common_stocks(REFERENCE)
    expected = [t for t in stocks["ticker"] if t in enough and t != "SPY"]

    prices = MemoryPrices.from_long(span_rows)
    found = market_universe(
        prices,
        REFERENCE,
        day0=DAY0,
        estimation=ESTIMATION,
        min_estimation=MIN_RETURNS,
        exclude=("SPY",),
    )
    assert list(found) == expected
    # On the DeepSeek day: thousands of firms, far fewer than the pack's 12,466 tickers.
    assert 4_000 < len(found) < 5_500
    # The history flags for one panel read equal the long-format counts ticker by ticker.
    sample = list(stocks["ticker"][:3000])
    flags = with_history(
        prices, sample, day0=DAY0, estimation=ESTIMATION, min_estimation=MIN_RETURNS
    )
    assert flags.tolist() == [counts.get(t, 0) >= MIN_RETURNS for t in sample]


def test_one_common_stock_per_company_and_no_funds() -> None:
    stocks = common_stocks(REFERENCE)
    tickers = set(stocks["ticker"])
    first = _sec_first_tickers()
    # One row per company, and it is the company's first ticker in the SEC list.
    assert stocks["cik"].is_unique
    assert all(first[int(c)] == t for c, t in zip(stocks["cik"], stocks["ticker"], strict=True))
    # Operating companies (REITs and royalty trusts among them) are in.
    for ticker in ("NVDA", "AAPL", "GOOGL", "BRK-B", "O", "VNO", "DLR", "SJT", "JPM"):
        assert ticker in tickers, ticker
    # Second share classes, funds, ETF trusts, indexes, ETFs the SEC does not list: out.
    for ticker in ("GOOG", "BRK-A", "SPY", "QQQ", "GLD", "SLV", "IBIT", "PDI", "USO", "DIA"):
        assert ticker not in tickers, ticker
    for ticker in ("^IRX", "XLK", "TLT", "SMH", "CHSCN"):
        assert ticker not in tickers, ticker
    # No title left names a fund or an ETF.
    assert not stocks["name"].str.contains(r"\b(?:ETF|Fund)\b", case=False).any()
