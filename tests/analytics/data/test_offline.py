"""Offline detection: Yahoo Finance unreachable is found once, quickly, and said once.

yfinance itself is replaced at its boundary (``yfinance.download``), failing as it does offline:
it logs a DNS or connection error per ticker and returns empty columns.
"""

from __future__ import annotations

import logging
import socket
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.data.sources.files import DataPackSource
from analytics.data.sources.yahoo import YahooSource, probe_yahoo
from analytics.data.store import PriceStore
from analytics.data.sync import fetch
from analytics.workspace import Workspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import yfinance

START, END = "2024-01-02", "2024-03-28"
TICKERS = ["TLN", "ARM", "GEV", "NVDA", "AVGO"]
DNS = (
    "['{t}']: DNSError('Failed to perform, curl: (6) Could not resolve host: "
    "query2.finance.yahoo.com')"
)
TIMEOUT = "['{t}']: ReadTimeout('Operation timed out after 30001 milliseconds')"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class OfflineYfinance:
    """``yfinance.download`` as it behaves offline: logs ``message`` per ticker, no prices."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.calls: list[list[str]] = []

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        tickers = list(kwargs["tickers"])
        self.calls.append(tickers)
        for ticker in tickers:
            logging.getLogger("yfinance").error(self.message.format(t=ticker))
        return pd.DataFrame()


class Probe:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.calls = 0

    def __call__(self) -> str | None:
        self.calls += 1
        return self.answer


def _unreachable_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage().lower()]


def test_a_failed_probe_makes_no_download_for_n_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    offline = OfflineYfinance(DNS)
    monkeypatch.setattr(yfinance, "download", offline)
    probe, clock = Probe("DNS lookup of query2.finance.yahoo.com failed"), Clock()
    yahoo = YahooSource(probe=probe, clock=clock, sleep=lambda s: None)
    store = PriceStore(tmp_path / "store")
    caplog.set_level(logging.INFO)
    report = fetch(store, TICKERS, START, END, sources=[yahoo], batch_size=1)
    # Five requests planned, one probe, no yfinance call, one error line, one log line.
    assert probe.calls == 1
    assert offline.calls == []
    assert len(report.errors) == 1 and "unreachable" in report.errors[0]
    assert sorted(report.missing) == sorted(TICKERS)
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warned if "unreachable" in r.getMessage()] == [
        "Yahoo Finance unreachable (DNS lookup of query2.finance.yahoo.com failed): not asked "
        "again for 5 min; the data pack and the store serve prices"
    ]
    # A second study within the mark: no probe, no call.
    fetch(store, TICKERS, START, END, sources=[yahoo])
    assert (probe.calls, offline.calls) == (1, [])
    # Once the mark expires, one probe again.
    clock.now += 301
    fetch(store, TICKERS, START, END, sources=[yahoo], batch_size=1)
    assert (probe.calls, offline.calls) == (2, [])


# A DNS error is not retried; a timeout once (Yahoo never answered), not ``retries`` times.
@pytest.mark.parametrize(("message", "calls"), [(DNS, 1), (TIMEOUT, 2)])
def test_the_first_network_failure_marks_yahoo_unreachable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    message: str,
    calls: int,
) -> None:
    """The probe passed (the host resolves) but requests fail: the first request's failure
    (after its retries, for a timeout) spares the other requests."""
    offline = OfflineYfinance(message)
    monkeypatch.setattr(yfinance, "download", offline)
    sleeps: list[float] = []
    yahoo = YahooSource(probe=Probe(None), clock=Clock(), retries=2, sleep=sleeps.append)
    store = PriceStore(tmp_path / "store")
    report = fetch(store, TICKERS, START, END, sources=[yahoo], batch_size=1)
    assert len(offline.calls) == calls  # one request's attempts, not one per ticker
    assert offline.calls[0] == ["TLN"]
    assert len(report.errors) == 1
    assert sorted(report.missing) == sorted(TICKERS)
    assert len(_unreachable_lines(caplog)) == 1
    assert yahoo.unreachable is not None


def test_workspace_says_once_that_it_uses_the_data_pack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = sessions(START, END)
    wide = pd.DataFrame(
        100 + np.arange(len(days))[:, None] * np.array([0.1, 0.2]),
        index=days,
        columns=["SPY", "NVDA"],
    )
    pack = tmp_path / "pack.csv"
    long = wide.rename_axis("date").reset_index().melt("date", var_name="ticker")
    long.rename(columns={"value": "adj_close"}).to_csv(pack, index=False)
    offline = OfflineYfinance(DNS)
    monkeypatch.setattr(yfinance, "download", offline)
    probe = Probe("DNS lookup of query2.finance.yahoo.com failed")
    yahoo = YahooSource(probe=probe, clock=Clock())
    store = PriceStore(tmp_path / "store")
    workspace = Workspace(store, sources=(DataPackSource(pack), yahoo))
    assert workspace.offline_reason is None
    # The pack lacks ZZZZ: Yahoo is asked for it, and is found unreachable.
    report = fetch(store, ["NVDA", "ZZZZ"], START, END, sources=workspace.sources)
    assert list(report.missing) == ["ZZZZ"]
    assert report.fetched["NVDA"] == len(days)
    assert workspace.offline_reason == "Yahoo Finance unreachable: using the data pack"
    assert (probe.calls, offline.calls) == (1, [])


def test_probe_answers_quickly_for_a_host_that_does_not_resolve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    began = time.monotonic()
    reason = probe_yahoo("no-such-host.invalid", timeout=2.0)
    assert reason is not None and "no-such-host.invalid" in reason
    assert time.monotonic() - began < 5


def test_probe_connects_to_a_listening_port_and_names_a_closed_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert probe_yahoo("127.0.0.1", port=port, timeout=2.0) is None
    reason = probe_yahoo("127.0.0.1", port=port, timeout=2.0)
    assert reason is not None and reason.startswith(f"no connection to 127.0.0.1:{port}")
