"""Method warnings a user needs: few firms for the cross-sectional tests, and the ETF-proxy
factors that move with the event's own large caps. Hand-made prices; the warnings appear in
``result.warnings``, the summary and the JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics import calendar
from analytics.data.memory import MemoryPrices
from analytics.study.engine import run_study
from analytics.study.result import CROSS_SECTIONAL_TESTS, FEW_FIRMS, StudyResult
from analytics.study.spec import StudySpec

DAY0 = pd.Timestamp("2025-01-27")
FIRMS = [f"F{i:02d}" for i in range(12)]


@pytest.fixture(scope="module")
def provider() -> MemoryPrices:
    """SPY and twelve market-model firms, every one falling 10% on day 0."""
    rng = np.random.default_rng(9)
    index = calendar.sessions("2023-06-01", "2025-03-31")
    market = rng.normal(0.0004, 0.01, len(index))
    returns = {"SPY": market}
    for i, name in enumerate(FIRMS):
        returns[name] = 0.0001 + (0.8 + 0.1 * i) * market + rng.normal(0, 0.012, len(index))
        returns[name][index.get_loc(DAY0)] = -0.10
    return MemoryPrices(100 * (1 + pd.DataFrame(returns, index=index)).cumprod())


def _study(provider: MemoryPrices, tickers: list[str], **options: object) -> StudyResult:
    spec = StudySpec.create(tickers=tickers, date="2025-01-27", placebo=0, **options)
    return run_study(spec, provider)


def test_two_firms_warn_that_the_cross_sectional_tests_are_unreliable(
    provider: MemoryPrices,
) -> None:
    result = _study(provider, FIRMS[:2])
    # The case of the issue: a huge BMP t from two firms that would read "not noise".
    assert abs(result.tests.query("window == '0:0' and test == 'bmp_t'")["stat"].iloc[0]) > 5
    (warning,) = result.warnings
    assert warning.startswith("windows 0:0, -1:1, -5:5: only 2 firms;")
    for name in ("Patell Z", "BMP t", "Kolari–Pynnönen", "cross-sectional t"):
        assert name in warning
    assert f"fewer than {FEW_FIRMS} firms" in warning
    text = str(result)
    assert "Warnings:" in text and warning in text
    bmp = next(line for line in text.splitlines() if line.strip().startswith("bmp_t"))
    assert bmp.endswith("unreliable: 2 firms")
    portfolio = next(line for line in text.splitlines() if line.strip().startswith("portfolio_t"))
    assert "unreliable" not in portfolio
    assert json.loads(result.to_json())["warnings"] == [warning]
    assert result.tests["n"].eq(2).all()


def test_the_warning_names_only_the_windows_with_few_firms(provider: MemoryPrices) -> None:
    # Ten firms pass the bar; the tests frame says how many firms each window's tests used.
    assert _study(provider, FIRMS[:FEW_FIRMS]).warnings == ()
    result = _study(provider, FIRMS[: FEW_FIRMS - 1], windows="0:0")
    (warning,) = result.warnings
    assert warning.startswith(f"window 0:0: only {FEW_FIRMS - 1} firms;")
    assert json.loads(_study(provider, FIRMS).to_json())["warnings"] == []
    assert set(CROSS_SECTIONAL_TESTS) <= set(result.tests["test"])
    assert "portfolio_t" not in CROSS_SECTIONAL_TESTS and "corrado_z" not in CROSS_SECTIONAL_TESTS


def test_the_etf_proxy_model_warns_that_its_factors_move_with_the_event(
    provider: MemoryPrices,
) -> None:
    sessions = calendar.sessions("2023-06-01", "2025-03-31")
    rng = np.random.default_rng(4)
    factors = pd.DataFrame(
        rng.normal(0, 0.01, (len(sessions), 4)),
        index=sessions,
        columns=["MKT", "SMB", "HML", "MOM"],
    )
    spec = StudySpec.create(tickers=FIRMS, date="2025-01-27", placebo=0, model="etf_factors")
    result = run_study(spec, provider, factors=factors)
    (warning,) = result.warnings
    assert warning.startswith("model etf_factors: the factor proxies are ETFs")
    assert "move with them" in warning and "compare with the market model" in warning
    assert warning in str(result)
    market = run_study(StudySpec.create(tickers=FIRMS, date="2025-01-27", placebo=0), provider)
    assert market.warnings == ()
