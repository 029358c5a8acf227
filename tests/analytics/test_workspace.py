"""The study service: factors from the cache (offline: never the network), market values at each
firm's day −1, fetching through the source chain, the same numbers as the pure engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import calendar
from analytics.data.factors import FRENCH_BASE_URL
from analytics.data.memory import MemoryPrices
from analytics.data.sources import SourceResult
from analytics.data.store import PriceStore
from analytics.errors import SourceError, SpecError
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace
from tests.support import french_zip

FF3_ZIP = "F-F_Research_Data_Factors_daily_CSV.zip"
DAY0 = pd.Timestamp("2025-01-27")


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    days = calendar.sessions("2023-11-01", "2025-03-31")
    market = rng.normal(0.0004, 0.01, len(days))
    returns = {"SPY": market}
    for name, beta in (("AAA", 0.9), ("BBB", 1.4)):
        returns[name] = beta * market + rng.normal(0, 0.015, len(days))
    return 100 * (1 + pd.DataFrame(returns, index=days)).cumprod()


@pytest.fixture(scope="module")
def ff3(wide: pd.DataFrame) -> pd.DataFrame:
    """Seeded factor returns (decimal) on the sessions of ``wide``."""
    rng = np.random.default_rng(9)
    n = len(wide)
    return pd.DataFrame(
        {
            "MKT_RF": rng.normal(0, 0.01, n),
            "SMB": rng.normal(0, 0.005, n),
            "HML": rng.normal(0, 0.005, n),
            "RF": 0.0002,
        },
        index=pd.DatetimeIndex(wide.index, name="date"),
    )


def _no_network(url: str) -> bytes:
    pytest.fail(f"the network was used: {url}")


class _Library:
    """A download function serving the zip, counting its calls."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        assert url == FRENCH_BASE_URL + FF3_ZIP
        return self.data


def _spec(model: str = "ff3") -> StudySpec:
    return StudySpec.create(tickers="AAA BBB", date=DAY0, model=model, placebo=0)


def test_offline_factor_study_reads_the_cache_and_never_the_network(
    tmp_path: Path, wide: pd.DataFrame, ff3: pd.DataFrame
) -> None:
    (tmp_path / "factors").mkdir()
    (tmp_path / "factors" / FF3_ZIP).write_bytes(french_zip(ff3))
    workspace = Workspace(
        MemoryPrices(wide), factor_cache=tmp_path, offline=True, download=_no_network
    )
    result = workspace.run(_spec())
    # The same numbers as the pure engine given the same factors.
    expected = run_study(_spec(), MemoryPrices(wide), factors=ff3)
    pd.testing.assert_frame_equal(result.windows, expected.windows, rtol=1e-9)
    assert (result.firms["status"] == "ok").all()


def test_offline_without_cache_is_a_clear_source_error(tmp_path: Path, wide: pd.DataFrame) -> None:
    workspace = Workspace(
        MemoryPrices(wide), factor_cache=tmp_path, offline=True, download=_no_network
    )
    with pytest.raises(SourceError, match="offline: no cached copy of " + FF3_ZIP):
        workspace.run(_spec())


def test_online_download_is_cached_and_reused(
    tmp_path: Path, wide: pd.DataFrame, ff3: pd.DataFrame
) -> None:
    library = _Library(french_zip(ff3))
    Workspace(MemoryPrices(wide), factor_cache=tmp_path, download=library).run(_spec())
    assert library.calls == [FRENCH_BASE_URL + FF3_ZIP]
    assert (tmp_path / "factors" / FF3_ZIP).read_bytes() == library.data
    again = Workspace(MemoryPrices(wide), factor_cache=tmp_path, offline=True, download=library)
    again.run(_spec())
    assert len(library.calls) == 1


def test_factor_cache_defaults_to_the_store_directory(
    tmp_path: Path, wide: pd.DataFrame, ff3: pd.DataFrame
) -> None:
    store = PriceStore(tmp_path / "store")
    tidy = wide.rename_axis("date").reset_index().melt("date", var_name="ticker")
    store.upsert(tidy.rename(columns={"value": "adj_close"}))
    (store.root / "factors").mkdir()
    (store.root / "factors" / FF3_ZIP).write_bytes(french_zip(ff3))
    result = Workspace(store, offline=True, download=_no_network).run(_spec())
    assert (result.firms["status"] == "ok").all()


def test_factor_file_for_a_model_without_factors_names_the_parameter(
    tmp_path: Path, wide: pd.DataFrame
) -> None:
    with pytest.raises(SpecError, match=r"^factors: model market uses no factor returns") as info:
        Workspace(MemoryPrices(wide)).factors(_spec("market"), path=tmp_path / "f.csv")
    assert info.value.parameter == "factors"
    assert Workspace(MemoryPrices(wide)).factors(_spec("market")) is None


def test_market_values_scale_the_snapshot_cap_to_each_firms_day_minus_1(
    tmp_path: Path, wide: pd.DataFrame
) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    workspace = Workspace(MemoryPrices(wide), reference=reference)
    snapshot = pd.Timestamp("2025-03-14")
    caps = pd.DataFrame({"ticker": ["AAA", "BBB"], "date": snapshot, "market_cap": [1e12, 2e11]})
    workspace.market_caps = caps  # the reference tables themselves are tested in test_reference
    events = pd.DataFrame({"ticker": ["AAA", "BBB"], "date": ["2025-01-27", "2025-02-10"]})
    spec = StudySpec.create(events=events, placebo=0)
    result = workspace.run(spec)
    values = workspace.market_values(result)
    # Independent: cap × adjusted close on the session before day 0 / close on the snapshot date.
    for ticker, day in (("AAA", "2025-01-24"), ("BBB", "2025-02-07")):
        expected = caps.set_index("ticker").loc[ticker, "market_cap"] * (
            wide.loc[day, ticker] / wide.loc[snapshot, ticker]
        )
        assert values[ticker] == pytest.approx(expected, rel=1e-12)
    assert list(values.index) == ["AAA", "BBB"]


def test_sectors_fall_back_to_extra_labels_then_unknown(wide: pd.DataFrame) -> None:
    workspace = Workspace(MemoryPrices(wide), extra_sectors={"ASML": "Semiconductors"})
    assert workspace.sectors(["ASML", "ZZZ"]).tolist() == ["Semiconductors", "Unknown"]


class _Pack:
    """A source over ``wide`` that records what it was asked."""

    name = "pack"

    def __init__(self, wide: pd.DataFrame) -> None:
        self.wide = wide
        self.asked: list[tuple[list[str], pd.Timestamp, pd.Timestamp]] = []

    def get(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> SourceResult:
        self.asked.append((tickers, start, end))
        part = self.wide.loc[start:end, [t for t in tickers if t in self.wide]]
        tidy = part.rename_axis("date").reset_index().melt("date", var_name="ticker")
        return SourceResult(prices=tidy.rename(columns={"value": "adj_close"}))


def test_ensure_prices_fetches_the_study_and_chart_range_once(
    tmp_path: Path, wide: pd.DataFrame
) -> None:
    source = _Pack(wide)
    workspace = Workspace(PriceStore(tmp_path), sources=[source])
    spec = _spec("market")
    report = workspace.ensure_prices(spec)
    assert report.missing == {}
    tickers, _, end = workspace.requirements(spec)
    assert end == calendar.offset(DAY0, 5 + 10)  # last window day + the chart's 10 sessions
    assert sorted(tickers) == ["AAA", "BBB", "SPY"]
    asked = len(source.asked)
    result = workspace.run(spec)  # everything is stored: no further request
    assert len(source.asked) == asked
    pd.testing.assert_frame_equal(
        result.windows, run_study(spec, MemoryPrices(wide)).windows, rtol=1e-12
    )


def test_ensure_prices_without_sources_reports_what_is_missing(wide: pd.DataFrame) -> None:
    spec = StudySpec.create(tickers="AAA ZZZ", date=DAY0, placebo=0)
    report = Workspace(MemoryPrices(wide)).ensure_prices(spec)
    assert report.rows_written == 0
    assert list(report.missing) == ["ZZZ"]
