"""The out-of-core engine equals the in-memory engine, chunk size whatever, on the data pack."""

from __future__ import annotations

import itertools
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.data.memory import MemoryPrices
from analytics.errors import SpecError
from analytics.study.engine import run_study
from analytics.study.engine.chunked import plan_chunks, run_study_chunked
from analytics.study.spec import SpecWarning, StudySpec

N_EVENTS = 3_000


@pytest.fixture(scope="module")
def prices(shared_dir) -> MemoryPrices:
    return MemoryPrices.from_long(
        pd.read_parquet(shared_dir / "market-data/deepseek-universe.parquet")
    )


def _events(prices: MemoryPrices, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    tickers = [t for t in prices.tickers() if not t.startswith("^") and t != "SPY"]
    days = sessions("2023-03-01", "2026-06-30")
    events = pd.DataFrame(
        {
            "ticker": rng.choice(tickers, size=2 * n),
            "date": days[rng.integers(0, len(days), size=2 * n)].strftime("%Y-%m-%d"),
            "timing": rng.choice(["before_open", "after_close"], size=2 * n),
        }
    )
    return events.drop_duplicates(["ticker", "date"], ignore_index=True).iloc[:n]


@pytest.fixture(scope="module")
def spec(prices) -> StudySpec:
    events = _events(prices, N_EVENTS + 100, 7)
    # After-close events can share a day 0 with a before-open one: keep the first N_EVENTS.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        full = StudySpec.create(events=events, windows=[(0, 0), (-1, 1), (-5, 5)], placebo=0)
    return replace(full, firm_events=full.firm_events[:N_EVENTS], dropped=())


@pytest.fixture(scope="module")
def in_memory(spec, prices):
    return run_study(spec, prices)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_exact=False, rtol=1e-12,
        atol=1e-14,
    )  # fmt: skip


@pytest.mark.parametrize("chunk_size", [N_EVENTS, 700, 257])
def test_chunked_equals_in_memory(spec, prices, in_memory, tmp_path, chunk_size) -> None:
    result = run_study_chunked(spec, prices, tmp_path / "results", chunk_size=chunk_size)
    assert result.chunks == -(-N_EVENTS // chunk_size)
    _same(result.tests, in_memory.tests)
    _same(result.aggregate, in_memory.aggregate)
    _same(result.aar, in_memory.aar)
    _same(result.windows, in_memory.windows)
    _same(result.firms, in_memory.firms)
    assert result.calendar_time.keys() == in_memory.calendar_time.keys()
    for key, portfolio in in_memory.calendar_time.items():
        got = result.calendar_time[key]
        for name in ("alpha", "se", "t", "p", "days", "mean_firms"):
            assert getattr(got, name) == pytest.approx(getattr(portfolio, name), rel=1e-12)
    for key, vol in in_memory.volatility.items():
        assert result.volatility[key].lam == pytest.approx(vol.lam, rel=1e-12)
        assert result.volatility[key].df == vol.df
    keys = ["event_id", "window", "reason"]
    want = in_memory.excluded.dropna(subset=["event_id"]).astype({"event_id": "int64"})
    got = result.excluded.astype({"event_id": "int64"})
    _same(got[keys].sort_values(keys), want[keys].sort_values(keys))
    # The spill files are gone; one file of each table per chunk remains.
    assert not list(result.folder.glob("resid-*"))
    assert len(list(result.folder.glob("windows-*.parquet"))) == result.chunks


def test_chunks_are_grouped_by_day0(spec) -> None:
    day0 = spec.events["day0"].to_numpy()
    chunks = plan_chunks(spec, 500)
    assert sorted(np.concatenate(chunks).tolist()) == list(range(N_EVENTS))
    for before, after in itertools.pairwise(chunks):
        assert day0[before].max() <= day0[after].min()


def test_chunks_run_in_a_process_pool(spec, prices, in_memory, tmp_path) -> None:
    with ProcessPoolExecutor(2) as pool:
        result = run_study_chunked(
            spec, prices, tmp_path / "pool", chunk_size=1_000, mapper=pool.map
        )
    _same(result.tests, in_memory.tests)
    _same(result.windows, in_memory.windows)


def test_rerun_replaces_the_tables(spec, prices, tmp_path) -> None:
    folder = tmp_path / "again"
    first = run_study_chunked(spec, prices, folder, chunk_size=1_000)
    second = run_study_chunked(spec, prices, folder, chunk_size=1_500)
    assert len(second.windows) == first.rows == second.rows == 3 * N_EVENTS


@pytest.mark.parametrize(
    ("option", "value"), [("placebo", 50), ("group_by", "sector"), ("regress", ["beta"])]
)
def test_what_the_chunked_engine_does_not_run(prices, tmp_path, option, value) -> None:
    options = {"placebo": 0, option: value}
    spec = StudySpec.create(tickers="NVDA,AMD", date="2025-01-27", **options)
    with pytest.raises(SpecError, match=option):
        run_study_chunked(spec, prices, tmp_path)
