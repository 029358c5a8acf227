"""Every dropped input is listed with its reason (issue: firms silently dropped).

Prices are hand-made (:class:`MemoryPrices`); the reference tables are the shared ones, where FI
(Fiserv) is an S&P 500 member and an SEC-listed company, and ZZZQ is no company at all.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import offset, sessions
from analytics.data.memory import MemoryPrices
from analytics.errors import InsufficientDataError
from analytics.study.spec import SpecWarning, StudySpec
from analytics.workspace import Workspace
from tests.support import REFERENCE

DAY0 = pd.Timestamp("2025-01-27")


def _walk(n: int, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (n, k)), axis=0))


@pytest.fixture
def workspace() -> Workspace:
    if not REFERENCE.is_dir():
        pytest.skip(f"shared reference data not found at {REFERENCE}")
    days = sessions("2023-06-01", offset(DAY0, 2))  # the data ends on day +2
    wide = pd.DataFrame(_walk(len(days), 3, 0), index=days, columns=["SPY", "NVDA", "IPO"])
    # IPO lists 50 sessions before day 0 - 11: 49 valid estimation returns of the 120 asked.
    first = offset(DAY0, -11 - 49)
    wide.loc[wide.index < first, "IPO"] = np.nan
    return Workspace(MemoryPrices(wide), reference=REFERENCE, offline=True)


def test_each_dropped_input_has_its_reason(workspace: Workspace) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        spec = StudySpec.create(
            tickers="NVDA,IPO,FI,ZZZQ,SPY,NVDA",
            date=DAY0,
            placebo=0,
            dropped=[("B@D", "invalid ticker")],
        )
    result = workspace.run(spec)
    reasons = {
        (row.ticker, row.window): row.reason for row in result.excluded.itertuples(index=False)
    }
    assert reasons == {
        ("NVDA", "-5:5"): f"excluded: prices end on {offset(DAY0, 2):%Y-%m-%d}",
        ("IPO", "all"): "excluded: too little history (49 of 120 returns)",
        ("FI", "all"): "excluded: not in the data",
        ("ZZZQ", "all"): "excluded: unknown ticker",
        ("SPY", "all"): "excluded: is the benchmark",
        ("NVDA", "all"): "excluded: repeats an earlier firm-event on day 0 2025-01-27",
        ("B@D", "all"): "excluded: invalid ticker",
    }
    firms = result.firms.set_index("ticker")["status"]
    assert firms["NVDA"] == "ok"  # usable in 0:0 and -1:1
    assert firms["FI"] == "excluded: not in the data"
    # Inputs dropped before the study carry no event_id; firm-events keep theirs.
    excluded = result.excluded
    assert excluded["event_id"].isna().tolist() == [False] * 4 + [True] * 3
    assert "FI" in str(result) and "is the benchmark" in str(result)


def test_without_reference_a_ticker_without_prices_is_unknown() -> None:
    days = sessions("2023-06-01", "2025-03-31")
    wide = pd.DataFrame(_walk(len(days), 2, 1), index=days, columns=["SPY", "NVDA"])
    result = Workspace(MemoryPrices(wide), offline=True).run(
        StudySpec.create(tickers="NVDA,FI", date=DAY0, placebo=0)
    )
    assert result.firms.set_index("ticker").loc["FI", "status"] == "excluded: unknown ticker"


def test_an_event_after_the_data_ends_says_when_prices_end(workspace: Workspace) -> None:
    spec = StudySpec.create(tickers="NVDA", date="2025-03-03", placebo=0)
    end = offset(DAY0, 2)
    with pytest.raises(InsufficientDataError) as info:
        workspace.run(spec)
    message = str(info.value)
    assert message.startswith(f"event_date: prices end on {end:%Y-%m-%d}")
    assert "missing price" not in message
    assert info.value.parameter == "event_date"
