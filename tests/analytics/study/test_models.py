"""Normal-return models against an independent oracle: statsmodels OLS fitted per firm-event."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from analytics.study.models import market_adjusted, ols

RTOL = 1e-10  # vectorized centred OLS vs statsmodels' pinv solution, per firm-event


def _panel(k: int, *, n_fe: int = 6, length: int = 240, days: int = 11, seed: int = 7):
    """Random regressors and returns with some missing estimation days."""
    rng = np.random.default_rng(seed)
    x_est = rng.normal(0.0005, 0.011, (length, n_fe, k))
    x_evt = rng.normal(0.0005, 0.011, (days, n_fe, k))
    loadings = rng.normal(1.0, 0.4, (n_fe, k))
    y_est = 0.0003 + np.einsum("lnk,nk->ln", x_est, loadings) + rng.normal(0, 0.02, (length, n_fe))
    y_est[rng.random((length, n_fe)) < 0.05] = np.nan
    x_est[rng.random((length, n_fe, k)) < 0.02] = np.nan
    return y_est, x_est, x_evt


def _oracle(y: np.ndarray, x: np.ndarray, x_star: np.ndarray):
    """statsmodels fit of one firm-event and its prediction-error covariance, from the formula."""
    valid = np.isfinite(y) & np.isfinite(x).all(axis=1)
    design = sm.add_constant(x[valid], has_constant="add")
    res = sm.OLS(y[valid], design).fit()
    star = sm.add_constant(x_star, has_constant="add")
    cov = res.scale * (np.eye(len(x_star)) + star @ np.linalg.inv(design.T @ design) @ star.T)
    return res, cov, int(valid.sum())


@pytest.mark.parametrize("k", [1, 3, 5])
def test_ols_matches_statsmodels_per_firm(k: int) -> None:
    y_est, x_est, x_evt = _panel(k)
    fit = ols(y_est, x_est, x_evt)
    for i in range(y_est.shape[1]):
        res, cov, n = _oracle(y_est[:, i], x_est[:, i, :], x_evt[:, i, :])
        np.testing.assert_allclose(fit.params[i], res.params, rtol=RTOL)
        np.testing.assert_allclose(np.sqrt(fit.sigma2[i]), np.sqrt(res.scale), rtol=RTOL)
        np.testing.assert_allclose(fit.cov[i], cov, rtol=RTOL)
        assert fit.n[i] == n
        assert fit.dof[i] == n - k - 1 == res.df_resid
        star = sm.add_constant(x_evt[:, i, :], has_constant="add")
        np.testing.assert_allclose(fit.fitted[:, i], star @ res.params, rtol=RTOL)
        np.testing.assert_allclose(
            fit.resid[:, i][np.isfinite(fit.resid[:, i])], res.resid, rtol=1e-8
        )
    assert not fit.singular.any()


def test_market_model_variance_diagonal_matches_design_formula() -> None:
    # DESIGN.md: sigma² (1 + 1/L + (R_mt - mean R_m)² / Σ (R_mτ - mean R_m)²)
    y_est, x_est, x_evt = _panel(1, n_fe=3)
    fit = ols(y_est, x_est, x_evt)
    for i in range(3):
        valid = np.isfinite(y_est[:, i]) & np.isfinite(x_est[:, i, 0])
        m = x_est[valid, i, 0]
        diag = fit.sigma2[i] * (
            1 + 1 / valid.sum() + (x_evt[:, i, 0] - m.mean()) ** 2 / ((m - m.mean()) ** 2).sum()
        )
        np.testing.assert_allclose(np.diag(fit.cov[i]), diag, rtol=RTOL)


def test_prediction_variance_matches_statsmodels_get_prediction() -> None:
    y_est, x_est, x_evt = _panel(2, n_fe=2)
    fit = ols(y_est, x_est, x_evt)
    res, _, _ = _oracle(y_est[:, 1], x_est[:, 1, :], x_evt[:, 1, :])
    prediction = res.get_prediction(sm.add_constant(x_evt[:, 1, :], has_constant="add"))
    np.testing.assert_allclose(np.diag(fit.cov[1]), prediction.se_mean**2 + res.scale, rtol=RTOL)


def test_constant_mean_model() -> None:
    y_est, _, _ = _panel(1, n_fe=4)
    days = 5
    fit = ols(y_est, np.empty((y_est.shape[0], 4, 0)), np.empty((days, 4, 0)))
    for i in range(4):
        y = y_est[np.isfinite(y_est[:, i]), i]
        length = len(y)
        assert fit.dof[i] == length - 1
        np.testing.assert_allclose(fit.params[i, 0], y.mean(), rtol=RTOL)
        np.testing.assert_allclose(fit.sigma2[i], y.var(ddof=1), rtol=RTOL)
        expected = y.var(ddof=1) * (np.eye(days) + np.ones((days, days)) / length)
        np.testing.assert_allclose(fit.cov[i], expected, rtol=RTOL)
        np.testing.assert_allclose(fit.fitted[:, i], y.mean(), rtol=RTOL)


def test_market_adjusted_model() -> None:
    y_est, x_est, x_evt = _panel(1, n_fe=3)
    fit = market_adjusted(y_est, x_est[..., 0], x_evt[..., 0])
    for i in range(3):
        ar = (y_est[:, i] - x_est[:, i, 0])[np.isfinite(y_est[:, i] - x_est[:, i, 0])]
        np.testing.assert_allclose(fit.sigma2[i], ar.var(ddof=1), rtol=RTOL)
        assert fit.dof[i] == len(ar) - 1
        np.testing.assert_allclose(fit.cov[i], ar.var(ddof=1) * np.eye(11), rtol=RTOL)
    np.testing.assert_array_equal(fit.fitted, x_evt[..., 0])
    assert fit.params.shape == (3, 0)


def test_degenerate_firm_events_are_marked_not_raised() -> None:
    y_est, x_est, x_evt = _panel(2, n_fe=3)
    x_est[:, 0, 1] = 0.01  # constant regressor: singular cross-product matrix
    y_est[3:, 1] = np.nan  # 3 valid days for 3 parameters: no degree of freedom left
    fit = ols(y_est, x_est, x_evt)
    np.testing.assert_array_equal(fit.singular, [True, True, False])
    assert np.isnan(fit.sigma2[:2]).all()
    assert np.isfinite(fit.sigma2[2])


def test_constant_returns_have_zero_variance() -> None:
    y_est, x_est, x_evt = _panel(1, n_fe=2)
    y_est[:, 0] = 0.0
    fit = ols(y_est, x_est, x_evt)
    assert fit.sigma2[0] == 0.0
    np.testing.assert_array_equal(fit.params[0], [0.0, 0.0])
