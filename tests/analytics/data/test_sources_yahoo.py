"""YahooSource with a fake download producing yfinance-shaped frames; never the network."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.data.sources import Source
from analytics.data.sources.yahoo import (
    NO_PRICES,
    HostUnreachableError,
    YahooSource,
    download_yahoo,
)
from analytics.errors import SourceError, SpecError

with warnings.catch_warnings():
    # requests/urllib3 warn at import about a deprecated extra some installs carry.
    warnings.simplefilter("ignore", DeprecationWarning)
    import curl_cffi.requests.exceptions as curl_errors
    import requests.exceptions as requests_errors
    import yfinance
    from yfinance.exceptions import YFRateLimitError

DATES = ["2025-01-23", "2025-01-24", "2025-01-27"]
FIELDS = ("Close", "High", "Low", "Open", "Volume")


def yahoo_frame(
    closes: dict[str, list[float]],
    dates: list[str] = DATES,
    *,
    fields: tuple[str, ...] = FIELDS,
    group_by: str = "column",
    tz: str | None = None,
) -> pd.DataFrame:
    """A frame shaped as yfinance 1.x's ``download`` builds it (see yfinance/multi.py).

    Per-ticker frames are concatenated with keys (``Ticker``, ``Price``); with
    ``group_by="column"`` the levels are swapped to (``Price``, ``Ticker``) and sorted.
    """
    index = pd.DatetimeIndex(dates, name="Date", tz=tz)
    per_ticker = {}
    for ticker, close in closes.items():
        c = np.asarray(close, dtype=float)
        values = {"Close": c, "High": c * 1.01, "Low": c * 0.98, "Open": c * 0.99}
        values["Volume"] = np.where(np.isnan(c), np.nan, 1e6)
        per_ticker[ticker] = pd.DataFrame({f: values[f] for f in fields}, index=index)
    data = pd.concat(per_ticker.values(), axis=1, keys=list(per_ticker), names=["Ticker", "Price"])
    if group_by == "column":
        data = data.swaplevel(0, 1, axis=1).sort_index(axis=1, level=0)
    return data


class FakeDownload:
    """Records calls; each call pops the next outcome (an exception or a frame factory)."""

    def __init__(self, *outcomes: BaseException | Callable[[list[str]], pd.DataFrame]) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[list[str], str, str]] = []

    def __call__(self, tickers: list[str], start: str, end: str) -> pd.DataFrame:
        self.calls.append((list(tickers), start, end))
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome(tickers)


def source(download: FakeDownload, sleeps: list[float] | None = None, **kw: Any) -> YahooSource:
    waits = sleeps if sleeps is not None else []
    return YahooSource(download=download, sleep=waits.append, **kw)


START, END = pd.Timestamp("2025-01-23"), pd.Timestamp("2025-01-27")


def test_is_a_source_and_tidies_a_multi_ticker_frame() -> None:
    fake = FakeDownload(
        lambda t: yahoo_frame({"NVDA": [147.2, 142.41, 118.24], "SPY": [609.8, 607.97, 599.37]})
    )
    yahoo: Source = source(fake)
    result = yahoo.get(["nvda", "SPY"], START, END)
    prices = result.prices
    assert result.missing == {}
    assert prices["ticker"].tolist() == ["NVDA"] * 3 + ["SPY"] * 3
    assert prices["date"].tolist() == list(pd.to_datetime(DATES)) * 2
    np.testing.assert_allclose(prices["adj_close"], [147.2, 142.41, 118.24, 609.8, 607.97, 599.37])
    # auto_adjust=True: Close is the adjusted close; the other fields are kept.
    np.testing.assert_allclose(prices["close"], prices["adj_close"])
    np.testing.assert_allclose(prices["high"], prices["adj_close"] * 1.01)
    np.testing.assert_allclose(prices["open"], prices["adj_close"] * 0.99)
    assert (prices["volume"] == 1e6).all()
    assert fake.calls == [(["NVDA", "SPY"], "2025-01-23", "2025-01-28")]


def test_batches_many_tickers_per_request(caplog: pytest.LogCaptureFixture) -> None:
    tickers = [f"T{i:03d}" for i in range(250)]
    fake = FakeDownload(lambda batch: yahoo_frame({t: [1.0, 2.0, 3.0] for t in batch}))
    with caplog.at_level(logging.INFO, logger="analytics.data.sources.yahoo"):
        result = source(fake).get(tickers, START, END)
    assert [len(call[0]) for call in fake.calls] == [100, 100, 50]
    assert [t for call in fake.calls for t in call[0]] == tickers
    assert len(result.prices) == 750
    assert result.missing == {}
    infos = [r for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 3  # one line per request
    assert "batch 3/3: 50 tickers 2025-01-23..2025-01-27 -> 150 rows" in infos[-1].getMessage()


def test_end_is_inclusive_for_us_and_exclusive_for_yahoo() -> None:
    # Yahoo sometimes answers with a row past the requested end (a live quote): dropped.
    frame = yahoo_frame({"NVDA": [1.0, 2.0, 3.0, 4.0]}, [*DATES, "2025-01-28"])
    fake = FakeDownload(lambda t: frame)
    result = source(fake).get(["NVDA"], pd.Timestamp("2025-01-24"), END)
    assert fake.calls[0][1:] == ("2025-01-24", "2025-01-28")
    assert result.prices["date"].tolist() == [
        pd.Timestamp("2025-01-24"),
        pd.Timestamp("2025-01-27"),
    ]
    assert result.prices["adj_close"].tolist() == [2.0, 3.0]


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError("read timed out"),
        ConnectionError("reset by peer"),
        requests_errors.Timeout("timeout"),
        requests_errors.ConnectionError("refused"),
        curl_errors.Timeout("curl: (28) timed out"),
        curl_errors.ConnectionError("curl: (7) failed to connect"),
        YFRateLimitError(),
    ],
)
def test_transient_errors_are_retried_with_exponential_backoff(error: BaseException) -> None:
    sleeps: list[float] = []
    ok = lambda t: yahoo_frame({"NVDA": [1.0, 2.0, 3.0]})  # noqa: E731
    fake = FakeDownload(ok, error, error, error, ok)
    yahoo = source(fake, sleeps, backoff=1.5)
    yahoo.get(["NVDA"], START, END)  # Yahoo answered once: errors now are hiccups
    result = yahoo.get(["NVDA"], START, END)
    assert len(fake.calls) == 5
    assert sleeps == [1.5, 3.0, 6.0]
    assert len(result.prices) == 3


def test_before_a_first_answer_a_network_error_is_retried_once() -> None:
    """Offline, the full back-off on every request took minutes: until Yahoo answered once, a
    network error is retried once, then Yahoo is marked unreachable."""
    sleeps: list[float] = []
    fake = FakeDownload(ConnectionError("curl: (7) failed to connect"))
    yahoo = source(fake, sleeps)
    with pytest.raises(SourceError, match="failed after 2 attempts") as info:
        yahoo.get(["NVDA"], START, END)
    assert info.value.parameter == "offline"
    assert (len(fake.calls), sleeps) == (2, [1.0])
    assert yahoo.unreachable is not None
    with pytest.raises(SourceError, match="unreachable"):
        yahoo.get(["SPY"], START, END)
    assert len(fake.calls) == 2  # marked: not asked again


def test_rate_limit_exhausted_raises_source_error_naming_batch_and_error() -> None:
    sleeps: list[float] = []
    tickers = [f"T{i}" for i in range(8)]
    fake = FakeDownload(YFRateLimitError())
    with pytest.raises(SourceError) as info:
        source(fake, sleeps, batch_size=8).get(tickers, START, END)
    assert len(fake.calls) == 5  # the first attempt and 4 retries
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    message = str(info.value)
    assert "batch 1/1 (T0, T1, T2, T3, T4, ... (8 tickers)) failed after 5 attempts" in message
    assert "Too Many Requests" in message


def test_other_errors_are_not_retried() -> None:
    fake = FakeDownload(KeyError("Close"))
    with pytest.raises(KeyError):
        source(fake).get(["NVDA"], START, END)
    assert len(fake.calls) == 1


def test_empty_answer_makes_every_ticker_missing() -> None:
    fake = FakeDownload(lambda t: pd.DataFrame())
    result = source(fake).get(["AAA", "BBB"], START, END)
    assert result.prices.empty
    assert list(result.prices.columns) == [
        "ticker",
        "date",
        "adj_close",
        "open",
        "high",
        "low",
        "close",
        "volume",
    ]
    assert result.missing == {"AAA": NO_PRICES, "BBB": NO_PRICES}


def test_a_ticker_that_no_longer_exists_among_good_ones() -> None:
    # yfinance gives a failed ticker empty (all-NaN) columns, with an extra "Adj Close" column.
    frame = yahoo_frame({"NVDA": [1.0, 2.0, 3.0], "GONE": [np.nan] * 3, "SPY": [4.0, 5.0, 6.0]})
    frame[("Adj Close", "GONE")] = np.nan
    fake = FakeDownload(lambda t: frame)
    result = source(fake).get(["NVDA", "GONE", "SPY"], START, END)
    assert result.missing == {"GONE": NO_PRICES}
    assert sorted(result.prices["ticker"].unique()) == ["NVDA", "SPY"]
    assert len(result.prices) == 6


def test_partial_columns_only_close() -> None:
    frame = yahoo_frame({"AAA": [1.0, 2.0, 3.0], "BBB": [4.0, 5.0, 6.0]}, fields=("Close",))
    result = source(FakeDownload(lambda t: frame)).get(["AAA", "BBB"], START, END)
    assert result.prices["adj_close"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert result.prices[["open", "high", "low", "volume"]].isna().all().all()


def test_no_close_column_means_no_prices() -> None:
    frame = yahoo_frame({"AAA": [1.0, 2.0, 3.0]}, fields=("Volume",))
    result = source(FakeDownload(lambda t: frame)).get(["AAA"], START, END)
    assert result.prices.empty
    assert result.missing["AAA"].startswith("Yahoo returned only invalid prices (3 rows; adj_close")


def test_duplicate_dates_keep_the_last(caplog: pytest.LogCaptureFixture) -> None:
    frame = yahoo_frame(
        {"AAA": [1.0, 2.0, 2.5, 3.0]}, ["2025-01-23", "2025-01-24", "2025-01-24", "2025-01-27"]
    )
    with caplog.at_level(logging.WARNING, logger="analytics.data.sources.yahoo"):
        result = source(FakeDownload(lambda t: frame)).get(["AAA"], START, END)
    assert result.prices["adj_close"].tolist() == [1.0, 2.5, 3.0]
    assert "1 repeated dates (e.g. AAA 2025-01-24), kept the last" in caplog.text


def test_nan_and_zero_prices_are_dropped_and_reported(caplog: pytest.LogCaptureFixture) -> None:
    frame = yahoo_frame({"AAA": [1.0, 0.0, 3.0], "ZERO": [0.0, 0.0, -1.0]})
    # A row with a volume but no close: an invalid row, not an absent one.
    frame[("Volume", "AAA")] = 1e6
    frame.loc[pd.Timestamp("2025-01-27"), ("Close", "AAA")] = np.nan
    with caplog.at_level(logging.WARNING, logger="analytics.data.sources.yahoo"):
        result = source(FakeDownload(lambda t: frame)).get(["AAA", "ZERO"], START, END)
    assert result.prices[["ticker", "adj_close"]].values.tolist() == [["AAA", 1.0]]
    assert result.missing == {
        "ZERO": "Yahoo returned only invalid prices (3 rows; adj_close is zero or negative)"
    }
    assert "dropped 5 invalid rows of 2 tickers" in caplog.text


def test_tz_aware_index_keeps_the_exchange_date() -> None:
    frame = yahoo_frame({"AAA": [1.0, 2.0, 3.0]}, tz="America/New_York")
    result = source(FakeDownload(lambda t: frame)).get(["AAA"], START, END)
    assert result.prices["date"].tolist() == list(pd.to_datetime(DATES))


def test_group_by_ticker_and_single_level_frames() -> None:
    by_ticker = yahoo_frame({"AAA": [1.0, 2.0, 3.0], "BBB": [4.0, 5.0, 6.0]}, group_by="ticker")
    assert by_ticker.columns.names == ["Ticker", "Price"]
    result = source(FakeDownload(lambda t: by_ticker)).get(["AAA", "BBB"], START, END)
    assert result.prices["adj_close"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    flat = yahoo_frame({"AAA": [1.0, 2.0, 3.0]}).droplevel(1, axis=1)
    result = source(FakeDownload(lambda t: flat)).get(["AAA"], START, END)
    assert result.prices["adj_close"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(SourceError, match="2 tickers with single-level columns"):
        source(FakeDownload(lambda t: flat)).get(["AAA", "BBB"], START, END)


def test_bad_settings_and_dates_raise_spec_errors() -> None:
    fake = FakeDownload(lambda t: pd.DataFrame())
    with pytest.raises(SpecError, match="batch_size: 0 must be at least 1"):
        YahooSource(download=fake, batch_size=0)
    with pytest.raises(SpecError, match="retries: -1"):
        YahooSource(download=fake, retries=-1)
    with pytest.raises(SpecError, match="start: 2025-02-01 is after end 2025-01-27"):
        source(fake).get(["AAA"], pd.Timestamp("2025-02-01"), END)
    assert source(fake).get([], START, END).prices.empty
    assert fake.calls == []


def test_default_download_calls_yfinance_with_the_right_arguments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    locations: list[str] = []

    def fake_download(**kwargs: Any) -> pd.DataFrame:
        calls.append(kwargs)
        return yahoo_frame({t: [1.0, 2.0, 3.0] for t in kwargs["tickers"]})

    monkeypatch.setattr(yfinance, "download", fake_download)
    monkeypatch.setattr(yfinance, "set_tz_cache_location", locations.append)
    yahoo = YahooSource(cache_dir=tmp_path / "yf-cache", probe=None)
    result = yahoo.get(["NVDA", "SPY"], START, END)
    yahoo.get(["NVDA"], START, END)
    assert calls[0] == {
        "tickers": ["NVDA", "SPY"],
        "start": "2025-01-23",
        "end": "2025-01-28",
        "auto_adjust": True,
        "actions": False,
        "group_by": "column",
        "threads": True,
        "progress": False,
        "multi_level_index": True,
    }
    assert len(result.prices) == 6
    assert locations == [str(tmp_path / "yf-cache")]  # set once, not per request
    assert (tmp_path / "yf-cache").is_dir()


@pytest.mark.parametrize(
    ("logged", "raised", "message", "waits"),
    [
        (
            "['NVDA']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')",
            YFRateLimitError,
            "failed after 3 attempts",
            [1.0, 2.0],
        ),
        (
            # Yahoo never answered this source yet: one retry, not ``retries``.
            "['NVDA', 'SPY']: ReadTimeout('Operation timed out after 30001 milliseconds')",
            ConnectionError,
            "failed after 2 attempts",
            [1.0],
        ),
        (
            # Offline: the host name does not resolve, so waiting and retrying cannot help.
            "['NVDA', 'SPY']: DNSError('Failed to perform, curl: (6) Could not resolve host')",
            HostUnreachableError,
            "unreachable",
            [],
        ),
    ],
)
def test_default_download_raises_what_yfinance_only_logs(
    monkeypatch: pytest.MonkeyPatch,
    logged: str,
    raised: type[BaseException],
    message: str,
    waits: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def fake_download(**kwargs: Any) -> pd.DataFrame:
        logging.getLogger("yfinance").error(logged)
        return yahoo_frame({t: [np.nan] * 3 for t in kwargs["tickers"]})

    monkeypatch.setattr(yfinance, "download", fake_download)
    with pytest.raises(raised):
        download_yahoo(["NVDA", "SPY"], "2025-01-23", "2025-01-28")
    sleeps: list[float] = []
    with pytest.raises(SourceError, match=message):
        YahooSource(retries=2, sleep=sleeps.append, probe=None).get(["NVDA", "SPY"], START, END)
    assert sleeps == waits
    # yfinance's own log lines are collected and re-raised, not printed a second time.
    assert not [r for r in caplog.records if r.name == "yfinance"]
    assert logging.getLogger("yfinance").propagate


def test_default_download_passes_delisted_tickers_through(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_download(**kwargs: Any) -> pd.DataFrame:
        logging.getLogger("yfinance").error(
            "['GONE']: YFPricesMissingError('possibly delisted; no price data found')"
        )
        return yahoo_frame({"GONE": [np.nan] * 3, "SPY": [1.0, 2.0, 3.0]})

    monkeypatch.setattr(yfinance, "download", fake_download)
    sleeps: list[float] = []
    result = YahooSource(sleep=sleeps.append, probe=None).get(["GONE", "SPY"], START, END)
    assert sleeps == []  # a delisted ticker is not a network error: no retry
    assert result.missing == {"GONE": NO_PRICES}
    assert len(result.prices) == 3
