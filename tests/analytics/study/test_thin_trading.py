"""Scholes-Williams and Dimson betas against statsmodels OLS fitted per firm-event.

The oracle follows the papers directly: Scholes and Williams (1977), each beta a simple regression
of ``R_i,t`` on ``R_m,t-1``, ``R_m,t``, ``R_m,t+1`` and ``rho_m`` the market's first-order
autocorrelation (``np.corrcoef``); Dimson (1979), one multiple regression on ``R_m,t-K .. R_m,t+K``
whose slopes are summed. Both then use ``alpha = mean R_i - beta mean R_m`` and the market model's
variance (DESIGN.md) on the same days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics import calendar
from analytics.data.memory import MemoryPrices
from analytics.study.engine import data_requirements, run_study
from analytics.study.models import dimson, scholes_williams
from analytics.study.spec import StudySpec
from tests.support import DEEPSEEK_PACK

RTOL = 1e-10  # vectorized centred OLS vs statsmodels' pinv solution
DAY0 = pd.Timestamp("2025-01-27")


def _thin_panel(k: int, *, n_fe: int = 5, length: int = 240, days: int = 11, seed: int = 3):
    """Stocks that react to the market with a lag (thin trading), with missing days."""
    rng = np.random.default_rng(seed)
    market = rng.normal(0.0004, 0.01, (length + 2 * k, n_fe))
    shifted = np.stack([market[j : j + length] for j in range(2 * k + 1)], axis=2)
    weights = rng.uniform(0.2, 0.8, (n_fe, 2 * k + 1))
    y = 0.0002 + np.einsum("lnk,nk->ln", shifted, weights) + rng.normal(0, 0.02, (length, n_fe))
    y[rng.random(y.shape) < 0.05] = np.nan
    shifted[rng.random(shifted.shape) < 0.01] = np.nan
    return y, shifted, rng.normal(0.0004, 0.01, (days, n_fe))


def _corrected(y, m, m_star, beta):
    """alpha, residual variance and prediction-error covariance of the market model with beta."""
    alpha = y.mean() - beta * m.mean()
    resid = y - alpha - beta * m
    sigma2 = (resid**2).sum() / (len(y) - 2)
    d = m_star - m.mean()
    cov = sigma2 * (np.eye(len(m_star)) + 1 / len(y) + np.outer(d, d) / ((m - m.mean()) ** 2).sum())
    return alpha, sigma2, cov


def _sw_oracle(y, shifted, m_star):
    ok = np.isfinite(y) & np.isfinite(shifted).all(axis=1)
    yv, lag, now, lead = y[ok], shifted[ok, 0], shifted[ok, 1], shifted[ok, 2]
    slopes = [sm.OLS(yv, sm.add_constant(x)).fit().params[1] for x in (lag, now, lead)]
    rho = np.corrcoef(now, lag)[0, 1]
    beta = sum(slopes) / (1 + 2 * rho)
    return (beta, *_corrected(yv, now, m_star, beta), int(ok.sum()))


def _dimson_oracle(y, shifted, m_star):
    ok = np.isfinite(y) & np.isfinite(shifted).all(axis=1)
    fit = sm.OLS(y[ok], sm.add_constant(shifted[ok])).fit()
    beta = fit.params[1:].sum()
    now = shifted[ok, shifted.shape[1] // 2]
    return (beta, *_corrected(y[ok], now, m_star, beta), int(ok.sum()))


def test_scholes_williams_matches_statsmodels_per_firm() -> None:
    y, shifted, m_evt = _thin_panel(1)
    fit = scholes_williams(y, shifted, m_evt)
    for i in range(y.shape[1]):
        beta, alpha, sigma2, cov, n = _sw_oracle(y[:, i], shifted[:, i], m_evt[:, i])
        np.testing.assert_allclose(fit.params[i], [alpha, beta], rtol=RTOL)
        np.testing.assert_allclose(fit.sigma2[i], sigma2, rtol=RTOL)
        np.testing.assert_allclose(fit.cov[i], cov, rtol=RTOL)
        np.testing.assert_allclose(fit.fitted[:, i], alpha + beta * m_evt[:, i], rtol=RTOL)
        assert fit.n[i] == n and fit.dof[i] == n - 2
    assert not fit.singular.any()


@pytest.mark.parametrize("k", [1, 2, 3])
def test_dimson_matches_statsmodels_per_firm(k: int) -> None:
    y, shifted, m_evt = _thin_panel(k)
    fit = dimson(y, shifted, m_evt)
    for i in range(y.shape[1]):
        beta, alpha, sigma2, cov, n = _dimson_oracle(y[:, i], shifted[:, i], m_evt[:, i])
        np.testing.assert_allclose(fit.params[i], [alpha, beta], rtol=RTOL)
        np.testing.assert_allclose(fit.sigma2[i], sigma2, rtol=RTOL)
        np.testing.assert_allclose(fit.cov[i], cov, rtol=RTOL)
        assert fit.n[i] == n and fit.dof[i] == n - 2


def test_thin_trading_betas_recover_the_lagged_response() -> None:
    # A stock that reacts half on the day and half the next day: the OLS beta sees only half.
    rng = np.random.default_rng(11)
    length, n_fe = 2000, 3
    market = rng.normal(0, 0.01, (length + 2, n_fe))
    shifted = np.stack([market[j : j + length] for j in range(3)], axis=2)
    y = 0.5 * shifted[..., 1] + 0.5 * shifted[..., 0] + rng.normal(0, 0.002, (length, n_fe))
    m_evt = np.zeros((1, n_fe))
    naive = [sm.OLS(y[:, i], sm.add_constant(shifted[:, i, 1])).fit().params[1] for i in range(3)]
    np.testing.assert_allclose(naive, 0.5, atol=0.05)
    # The sampling error of rho_m (about 1/sqrt(L)) enters Scholes-Williams twice.
    for fit in (scholes_williams(y, shifted, m_evt), dimson(y, shifted, m_evt)):
        np.testing.assert_allclose(fit.params[:, 1], 1.0, atol=0.1)


def test_degenerate_market_is_singular_not_a_crash() -> None:
    y, shifted, m_evt = _thin_panel(1, n_fe=2)
    shifted[:, 0, :] = 0.0  # a market that never moves, for the first firm-event
    for fit in (scholes_williams(y, shifted, m_evt), dimson(y, shifted, m_evt)):
        assert fit.singular.tolist() == [True, False]
        assert np.isnan(fit.sigma2[0])


@pytest.fixture(scope="module")
def pack(shared_dir) -> pd.DataFrame:
    long = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "in", ["NVDA", "CEG", "SPY"])])
    wide = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


@pytest.mark.parametrize(("model", "k"), [("scholes_williams", 1), ("dimson", 1), ("dimson", 3)])
def test_engine_on_the_deepseek_pack_by_an_independent_path(pack, model: str, k: int) -> None:
    spec = StudySpec.create(
        tickers="NVDA CEG", date="2025-01-27", model=model, dimson_lags=k, placebo=0
    )
    result = run_study(spec, MemoryPrices(pack))
    returns = pack.pct_change(fill_method=None)
    pos = returns.index.get_loc(DAY0)
    est = slice(pos - 250, pos - 10)
    market = returns["SPY"]
    shifted = np.column_stack([market.shift(-s).to_numpy()[est] for s in range(-k, k + 1)])
    oracle = _sw_oracle if model == "scholes_williams" else _dimson_oracle
    firms = result.firms.set_index("ticker")
    windows = result.windows.set_index(["ticker", "window"])
    star = market.iloc[pos - 1 : pos + 2].to_numpy()
    for ticker in ("NVDA", "CEG"):
        beta, alpha, sigma2, cov, n = oracle(returns[ticker].to_numpy()[est], shifted, star)
        firm = firms.loc[ticker]
        assert firm["n_estimation"] == n == 240
        assert firm["beta"] == pytest.approx(beta, rel=RTOL)
        assert firm["alpha"] == pytest.approx(alpha, rel=1e-9)
        assert firm["sigma"] ** 2 == pytest.approx(sigma2, rel=RTOL)
        ar = returns[ticker].iloc[pos - 1 : pos + 2].to_numpy() - alpha - beta * star
        row = windows.loc[(ticker, "-1:1")]
        assert row["car"] == pytest.approx(ar.sum(), rel=1e-9)
        assert row["var_car"] == pytest.approx(cov.sum(), rel=RTOL)


def test_the_study_reads_k_more_sessions_for_the_lagged_market() -> None:
    base = StudySpec.create(tickers="NVDA", date="2025-01-27", placebo=0)
    _, start, end = data_requirements(base)
    for model, k in (("scholes_williams", 1), ("dimson", 4)):
        spec = StudySpec.create(
            tickers="NVDA", date="2025-01-27", placebo=0, model=model, dimson_lags=k
        )
        _, lagged_start, lagged_end = data_requirements(spec)
        assert lagged_start == calendar.offset(start, -k) and lagged_end == end
    # An estimation window ending just before day 0: the leads reach past the event window.
    near = StudySpec.create(
        tickers="NVDA", date="2025-01-27", placebo=0, model="dimson", dimson_lags=3,
        estimation="-250:-1", windows="0:0",
    )  # fmt: skip
    assert data_requirements(near)[2] == calendar.offset(DAY0, 2)
