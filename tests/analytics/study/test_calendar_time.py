"""The calendar-time portfolio against a plain loop that builds the portfolio day by day and
statsmodels OLS on it."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.data.memory import MemoryPrices
from analytics.study.calendar_time import calendar_time_portfolio, window_cover
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from tests.support import deepseek_prices


def _loop_portfolio(returns, day0_rows, start, end, rf=None):
    """Day by day: the mean return of the firm-events whose window covers the day."""
    days, values, counts = [], [], []
    for r in range(returns.shape[0]):
        inside = [
            returns[r, i]
            for i, d in enumerate(day0_rows)
            if d + start <= r <= d + end and not math.isnan(returns[r, i])
        ]
        if inside:
            days.append(r)
            values.append(sum(inside) / len(inside) - (0.0 if rf is None else rf[r]))
            counts.append(len(inside))
    return np.array(days), np.array(values), np.array(counts)


@pytest.mark.parametrize(("start", "end"), [(-1, 1), (0, 10), (-5, 5)])
def test_alpha_and_its_t_match_statsmodels_on_a_hand_built_portfolio(start: int, end: int) -> None:
    rng = np.random.default_rng(7)
    t_len, n = 400, 60
    market = rng.normal(0.0004, 0.01, t_len)
    day0_rows = rng.integers(10, t_len - 15, n)
    returns = 0.0003 + 1.2 * market[:, None] + rng.normal(0, 0.02, (t_len, n))
    returns[rng.random((t_len, n)) < 0.05] = np.nan  # missing days
    cover = window_cover(day0_rows, start, end, t_len)
    got = calendar_time_portfolio(returns, cover, market[:, None])
    days, y, counts = _loop_portfolio(returns, day0_rows, start, end)
    fit = sm.OLS(y, sm.add_constant(market[days])).fit()
    assert got.days == len(days) and got.mean_firms == pytest.approx(counts.mean(), rel=1e-12)
    assert got.alpha == pytest.approx(fit.params[0], rel=1e-10, abs=1e-14)
    assert got.se == pytest.approx(fit.bse[0], rel=1e-10)
    assert got.t == pytest.approx(fit.tvalues[0], rel=1e-10)
    assert got.p == pytest.approx(fit.pvalues[0], rel=1e-9)


def test_excess_returns_with_factors_and_a_risk_free_rate() -> None:
    rng = np.random.default_rng(11)
    t_len, n = 300, 25
    factors = rng.normal(0, 0.01, (t_len, 3))
    rf = np.full(t_len, 0.0001)
    day0_rows = rng.integers(5, t_len - 5, n)
    noise = rng.normal(0, 0.02, (t_len, n))
    returns = rf[:, None] + 0.002 + (factors @ [1.0, 0.3, -0.2])[:, None] + noise
    cover = window_cover(day0_rows, -2, 2, t_len)
    got = calendar_time_portfolio(returns, cover, factors, risk_free=rf)
    days, y, _ = _loop_portfolio(returns, day0_rows, -2, 2, rf)
    fit = sm.OLS(y, sm.add_constant(factors[days])).fit()
    assert got.alpha == pytest.approx(fit.params[0], rel=1e-10)
    assert got.t == pytest.approx(fit.tvalues[0], rel=1e-10)


def test_excluded_firm_events_and_uncovered_days_are_left_out() -> None:
    returns = np.array([[0.01, 0.5], [0.02, 0.5], [0.03, 0.5], [np.nan, 0.5]])
    cover = window_cover(np.array([1, 1]), -1, 1, 4)
    cover[:, 1] = False  # the second firm-event is excluded
    got = calendar_time_portfolio(returns, cover, np.zeros((4, 0)))
    # Days 0-2 hold the first firm only; day 3 is outside its window.
    assert got.days == 3 and got.mean_firms == 1.0
    assert got.alpha == pytest.approx(0.02, abs=1e-15)
    # Residuals ±0.01, 0: s² = 0.0002 / (3 - 1); se = sqrt(s² / 3).
    assert got.se == pytest.approx(math.sqrt(0.0002 / 2 / 3), rel=1e-12)


def test_too_few_portfolio_days_give_nan() -> None:
    returns = np.array([[0.01], [0.02]])
    got = calendar_time_portfolio(returns, window_cover(np.array([0]), 0, 1, 2), np.ones((2, 1)))
    assert got.days == 2 and math.isnan(got.alpha) and math.isnan(got.p)


# -- in the engine, on the data pack ---------------------------------------------------------

EVENTS = pd.DataFrame(
    {
        "ticker": ["NVDA", "AVGO", "AMD", "MU", "NVDA", "TSM", "INTC", "AMD", "CEG", "VST"],
        "date": ["2025-01-27", "2025-01-27", "2024-08-05", "2024-08-05", "2024-04-19",
                 "2024-04-19", "2024-08-02", "2024-10-30", "2025-03-03", "2025-03-03"],
    }
)  # fmt: skip


@pytest.mark.parametrize("model", ["market", "market_adjusted", "constant_mean"])
def test_the_engine_s_calendar_time_alpha_by_an_independent_path(model: str) -> None:
    prices = deepseek_prices()
    spec = StudySpec.create(events=EVENTS, windows=["-1:1", "0:5"], model=model, placebo=0)
    result = run_study(spec, MemoryPrices(prices))
    market = prices["SPY"].pct_change()
    days, windows = result.days, result.windows
    for key in spec.window_keys:
        start, end = (int(v) for v in key.split(":"))
        ok = windows[(windows["window"] == key) & (windows["status"] == "ok")]["event_id"]
        inside = days[days["event_id"].isin(ok) & days["day"].between(start, end)]
        portfolio = inside.groupby("date")["ret"].mean()
        m = market.reindex(portfolio.index).to_numpy()
        y = portfolio.to_numpy()
        if model == "market":
            fit = sm.OLS(y, sm.add_constant(m)).fit()
        elif model == "market_adjusted":
            fit = sm.OLS(y - m, np.ones((len(y), 1))).fit()
        else:
            fit = sm.OLS(y, np.ones((len(y), 1))).fit()
        got = result.calendar_time[key]
        assert got.days == len(y)
        assert got.mean_firms == pytest.approx(inside.groupby("date").size().mean(), rel=1e-12)
        assert got.alpha == pytest.approx(fit.params[0], rel=1e-9)
        assert got.t == pytest.approx(fit.tvalues[0], rel=1e-9)
        assert got.p == pytest.approx(fit.pvalues[0], rel=1e-8)
    document = json.loads(result.to_json())["calendar_time"]
    assert document["-1:1"]["days"] == result.calendar_time["-1:1"].days
    assert "Calendar-time portfolio" in str(result.summary())


def test_a_study_of_one_day_0_has_no_calendar_time_portfolio() -> None:
    spec = StudySpec.create(tickers="NVDA,AMD", date="2025-01-27", placebo=0)
    result = run_study(spec, MemoryPrices(deepseek_prices()))
    assert result.calendar_time == {} and json.loads(result.to_json())["calendar_time"] == {}
    assert "Calendar-time" not in str(result.summary())


@pytest.mark.parametrize("model", ["market", "capm", "market_adjusted"])
def test_log_returns_give_the_portfolio_of_simple_returns(model: str) -> None:
    # A portfolio earns the mean of its members' simple returns, whatever the study's returns.
    prices = deepseek_prices()
    runs = {
        kind: run_study(
            StudySpec.create(events=EVENTS, model=model, placebo=0, returns=kind),
            MemoryPrices(prices),
        )
        for kind in ("simple", "log")
    }
    for key in runs["simple"].spec.window_keys:
        simple, log = runs["simple"].calendar_time[key], runs["log"].calendar_time[key]
        assert log.days == simple.days
        assert log.alpha == pytest.approx(simple.alpha, rel=1e-9)
        assert log.t == pytest.approx(simple.t, rel=1e-9)
