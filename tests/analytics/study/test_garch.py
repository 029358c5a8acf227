"""GARCH(1,1) and EGARCH(1,1) market models against ``arch`` called directly per firm-event.

The oracle is written from ``arch``'s public API only: ``arch_model(100 y, x=100 R_m, mean="LS")``
on the firm's valid estimation days, fitted from ``arch``'s starting values (and, where that does
not converge, again from the OLS market model), then its variance forecast 1..h sessions ahead of
the last estimation day (EGARCH: simulated from default_rng(0)). Fits are deterministic given the
data and the starting values, so the engine and the oracle agree to rounding.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from arch import arch_model

from analytics.data.memory import MemoryPrices
from analytics.study import garch as garch_module
from analytics.study.engine import run_study
from analytics.study.garch import garch
from analytics.study.spec import StudySpec
from tests.support import DEEPSEEK_PACK

TOL = 1e-8  # the same deterministic optimization on the same numbers
DAY0 = pd.Timestamp("2025-01-27")


def _simulated(n_fe: int = 4, length: int = 240, days: int = 11, seed: int = 5):
    """Market-model returns with GARCH(1,1) errors (omega 2e-5, alpha 0.1, beta 0.85)."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0.0004, 0.01, (length, n_fe))
    e = np.empty((length, n_fe))
    s2 = np.full(n_fe, 2e-5 / 0.05)
    for t in range(length):
        e[t] = np.sqrt(s2) * rng.standard_normal(n_fe)
        s2 = 2e-5 + 0.1 * e[t] ** 2 + 0.85 * s2
    y = 0.0003 + rng.uniform(0.6, 1.4, n_fe) * m + e
    y[rng.random(y.shape) < 0.03] = np.nan
    return y, m, rng.normal(0.0004, 0.01, (days, n_fe))


def _oracle(y: np.ndarray, m: np.ndarray, horizon: int, vol: str):
    """Parameters (mean in return units) and the 1..horizon variance forecasts, from arch."""
    ok = np.isfinite(y) & np.isfinite(m)
    model = arch_model(
        100 * y[ok],
        x=100 * m[ok][:, None],
        mean="LS",
        vol=vol.upper(),
        p=1,
        o=1 if vol == "egarch" else 0,
        q=1,
        rescale=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(disp="off", options={"maxiter": 1000})
        assert res.convergence_flag == 0
        forecast = res.forecast(
            horizon=horizon,
            reindex=False,
            method="analytic" if vol == "garch" else "simulation",
            simulations=1000,
            rng=np.random.default_rng(0).standard_normal,
            x=np.zeros((1, horizon)),
        )
    params = res.params.to_numpy().copy()
    params[0] /= 100
    return params, forecast.variance.to_numpy()[-1] / 100**2, ok


@pytest.mark.parametrize("vol", ["garch", "egarch"])
def test_garch_matches_arch_per_firm(vol: str) -> None:
    y, m, m_evt = _simulated()
    days = np.arange(6, 17)  # event window -5:5 after estimation ending at day -11
    fit = garch(y, m, m_evt, days, vol=vol, min_n=120, n_workers=1)
    assert not fit.failed.any()
    for i in range(y.shape[1]):
        ok = np.isfinite(y[:, i])
        # Steps ahead of the firm's last valid estimation day.
        gap = len(y) - 1 - np.flatnonzero(ok)[-1]
        params, variance, valid = _oracle(y[:, i], m[:, i], int(days[-1] + gap), vol)
        np.testing.assert_allclose(fit.params[i], params, rtol=TOL, atol=1e-12)
        np.testing.assert_allclose(np.diag(fit.cov[i]), variance[days + gap - 1], rtol=TOL)
        expected = params[0] + params[1] * m_evt[:, i]
        np.testing.assert_allclose(fit.fitted[:, i], expected, rtol=TOL)
        resid = y[valid, i] - params[0] - params[1] * m[valid, i]
        np.testing.assert_allclose(fit.resid[valid, i], resid, rtol=1e-7, atol=1e-12)
        assert fit.n[i] == valid.sum() and fit.dof[i] == valid.sum() - 2
        assert np.count_nonzero(fit.cov[i] - np.diag(np.diag(fit.cov[i]))) == 0


def test_parallel_fit_equals_serial_fit() -> None:
    y, m, m_evt = _simulated(n_fe=garch_module.PARALLEL_FROM, seed=9)
    days = np.arange(11, 14)
    serial = garch(y, m, m_evt, days, vol="garch", min_n=120, n_workers=1)
    parallel = garch(y, m, m_evt, days, vol="garch", min_n=120, n_workers=2)
    np.testing.assert_array_equal(parallel.params, serial.params)
    np.testing.assert_array_equal(parallel.cov, serial.cov)
    np.testing.assert_array_equal(parallel.failed, serial.failed)


def test_too_little_history_is_not_fitted() -> None:
    y, m, m_evt = _simulated(n_fe=2)
    y[:200, 0] = np.nan
    fit = garch(y, m, m_evt, np.arange(11, 14), vol="garch", min_n=120, n_workers=1)
    assert fit.n[0] < 120 and np.isnan(fit.params[0]).all() and not fit.failed[0]
    assert np.isfinite(fit.params[1]).all()


@pytest.fixture(scope="module")
def pack_wide(shared_dir) -> pd.DataFrame:
    long = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "in", ["ADBE", "MRVL", "SPY"])])
    wide = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


@pytest.fixture(scope="module")
def pack(shared_dir) -> pd.DataFrame:
    long = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "in", ["NVDA", "CEG", "SPY"])])
    wide = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


@pytest.mark.parametrize("vol", ["garch", "egarch"])
def test_engine_on_the_deepseek_pack_matches_arch(pack, vol: str) -> None:
    spec = StudySpec.create(tickers="NVDA CEG", date="2025-01-27", model=vol, placebo=0)
    result = run_study(spec, MemoryPrices(pack))
    returns = pack.pct_change(fill_method=None)
    pos = returns.index.get_loc(DAY0)
    est = slice(pos - 250, pos - 10)
    firms = result.firms.set_index("ticker")
    days = result.days.set_index(["ticker", "day"])
    windows = result.windows.set_index(["ticker", "window"])
    names = ["alpha", "beta", "vol_omega", "vol_alpha", *(["vol_gamma"] * (vol == "egarch"))]
    for ticker in ("NVDA", "CEG"):
        params, variance, ok = _oracle(
            returns[ticker].to_numpy()[est], returns["SPY"].to_numpy()[est], 16, vol
        )
        firm = firms.loc[ticker]
        assert firm["status"] == "ok" and firm["n_estimation"] == ok.sum() == 240
        np.testing.assert_allclose(firm[[*names, "vol_beta"]].to_numpy(float), params, rtol=TOL)
        # Day t is t + 11 sessions after the last estimation day (-11).
        for day in (-1, 0, 1):
            ar = (
                returns[ticker].iloc[pos + day]
                - params[0]
                - params[1] * returns["SPY"].iloc[pos + day]
            )
            row = days.loc[(ticker, day)]
            assert row["ar"] == pytest.approx(ar, rel=TOL)
            assert row["var_ar"] == pytest.approx(variance[day + 10], rel=TOL)
            assert row["sar"] == pytest.approx(ar / np.sqrt(variance[day + 10]), rel=TOL)
        window = windows.loc[(ticker, "-1:1")]
        assert window["var_car"] == pytest.approx(variance[9:12].sum(), rel=TOL)
    assert "GARCH" in str(result.summary()) or "garch" in str(result.summary())


def test_a_fit_that_does_not_converge_excludes_only_that_firm(pack, monkeypatch) -> None:
    real = garch_module.fit_one
    calls = iter(range(100))

    def first_fails(y, m, horizon, vol):
        return None if next(calls) == 0 else real(y, m, horizon, vol)

    monkeypatch.setattr(garch_module, "fit_one", first_fails)
    spec = StudySpec.create(tickers="NVDA CEG", date="2025-01-27", model="garch", placebo=0)
    result = run_study(spec, MemoryPrices(pack))
    status = result.firms.set_index("ticker")["status"]
    assert status["NVDA"] == "excluded: the garch model did not converge on the estimation window"
    assert status["CEG"] == "ok"
    excluded = result.excluded
    assert excluded["reason"].str.contains("did not converge").any()


def test_a_first_attempt_that_fails_is_refitted_from_ols_starting_values(pack_wide) -> None:
    # ADBE and MRVL: arch's own starting values end in "Inequality constraints incompatible"
    # for EGARCH on this estimation window (found by scanning the pack with arch directly).
    spec = StudySpec.create(tickers="ADBE MRVL", date="2025-01-27", model="egarch", placebo=0)
    result = run_study(spec, MemoryPrices(pack_wide))
    returns = pack_wide.pct_change(fill_method=None)
    pos = returns.index.get_loc(DAY0)
    market = 100 * returns["SPY"].to_numpy()[pos - 250 : pos - 10]
    firms = result.firms.set_index("ticker")
    for ticker in ("ADBE", "MRVL"):
        y = 100 * returns[ticker].to_numpy()[pos - 250 : pos - 10]
        model = arch_model(y, x=market[:, None], mean="LS", vol="EGARCH", p=1, o=1, q=1,
                           rescale=False)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first = model.fit(disp="off", show_warning=False, options={"maxiter": 1000})
            assert first.convergence_flag != 0
            # The documented second start, computed as the engine does (np.polyfit): the EGARCH
            # likelihood is so ill-conditioned here that statsmodels' OLS, 1e-16 away, leads
            # ADBE's fit elsewhere (beta 1.71 instead of 1.44). statsmodels checks the values.
            slope, const = np.polyfit(market, y, 1)
            ols = sm.OLS(y, sm.add_constant(market)).fit()
            np.testing.assert_allclose([const, slope], ols.params, rtol=1e-12)
            var = np.var(y - const - slope * market)
            start = [const, slope, 0.1 * np.log(var), 0.1, 0.0, 0.9]
            second = model.fit(disp="off", show_warning=False, starting_values=np.array(start),
                               options={"maxiter": 1000})  # fmt: skip
        firm = firms.loc[ticker]
        assert second.convergence_flag == 0 and firm["status"] == "ok"
        assert firm["beta"] == pytest.approx(second.params.iloc[1], rel=TOL)
        assert firm["alpha"] == pytest.approx(second.params.iloc[0] / 100, rel=TOL)
        assert firm["vol_beta"] == pytest.approx(second.params.iloc[-1], rel=TOL)


def test_placebo_refits_the_garch_model_on_pseudo_events(pack) -> None:
    spec = StudySpec.create(tickers="NVDA CEG", date="2025-01-27", model="garch", placebo=10)
    result = run_study(spec, MemoryPrices(pack))
    placebo = result.placebo["0:0"]
    assert placebo.k == 10 and 1 / 11 <= placebo.pvalue <= 1
