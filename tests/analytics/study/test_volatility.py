"""Abnormal volatility against a plain loop of its formula and scipy's χ², and its size under
the null on simulated residuals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analytics.data.memory import MemoryPrices
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from analytics.study.volatility import abnormal_volatility
from tests.support import deepseek_prices


def _loop(ar, var, dof):
    total, n = 0.0, 0
    for i in range(ar.shape[1]):
        for t in range(ar.shape[0]):
            a, v = ar[t, i], var[t, i]
            if math.isnan(a) or math.isnan(v) or v <= 0 or dof[i] <= 2:
                continue
            total += a * a / v * (dof[i] - 2) / dof[i]
            n += 1
    p = 2 * min(stats.chi2.cdf(total, n), 1 - stats.chi2.cdf(total, n))
    return total / n, total, n, min(1.0, p)


def test_ratio_lambda_and_p_match_the_formula() -> None:
    rng = np.random.default_rng(3)
    ar = rng.normal(0, 0.03, (5, 30))
    var = rng.uniform(0.0002, 0.0008, (5, 30))
    ar[1, 4] = np.nan
    var[2, 7] = 0.0  # not positive: left out
    dof = rng.integers(100, 240, 30).astype(float)
    got = abnormal_volatility(ar, var, dof)
    ratio, lam, n, p = _loop(ar, var, dof)
    assert got.df == n == 148
    assert got.lam == pytest.approx(lam, rel=1e-12) and got.ratio == pytest.approx(ratio, rel=1e-12)
    assert got.p == pytest.approx(p, rel=1e-9)
    assert got.ratio > 1.5 and got.p < 1e-6  # ARs of sd 3% against variances of ~0.05%


def test_null_size_is_near_five_percent() -> None:
    rng = np.random.default_rng(20250127)
    dof = np.full(50, 238.0)
    rejections = 0
    for _ in range(2000):
        sar = rng.standard_t(238, (3, 50))
        rejections += abnormal_volatility(sar * 0.02, np.full((3, 50), 0.0004), dof).p < 0.05
    assert 0.04 <= rejections / 2000 <= 0.06


def test_no_usable_day_is_nan() -> None:
    got = abnormal_volatility(np.full((2, 1), np.nan), np.ones((2, 1)), np.array([100.0]))
    assert got.df == 0 and math.isnan(got.ratio) and math.isnan(got.p)


def test_the_deepseek_day_was_abnormally_volatile_by_an_independent_path() -> None:
    tickers = "NVDA,AVGO,AMD,MU,TSM,CEG,VST,MSFT,AAPL,GOOGL,META"
    spec = StudySpec.create(tickers=tickers, date="2025-01-27", placebo=0)
    result = run_study(spec, MemoryPrices(deepseek_prices()))
    days = result.days.merge(result.firms[["event_id", "dof"]], on="event_id")
    for key in spec.window_keys:
        start, end = (int(v) for v in key.split(":"))
        inside = days[days["day"].between(start, end)]
        squares = inside["sar"] ** 2 * (inside["dof"] - 2) / inside["dof"]
        got = result.volatility[key]
        assert got.df == len(squares) == 11 * (end - start + 1)
        assert got.ratio == pytest.approx(squares.mean(), rel=1e-12)
        assert got.p == pytest.approx(2 * stats.chi2.sf(squares.sum(), len(squares)), rel=1e-9)
    # Day 0 of the DeepSeek selloff: the AI names moved ~18 times their usual variance.
    assert result.volatility["0:0"].ratio > 10 and result.volatility["0:0"].p < 1e-20
    assert "volatility ratio 18.003" in str(result.summary())
