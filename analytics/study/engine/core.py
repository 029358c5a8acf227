"""The per-firm-event core of a study: the fitted normal-return model, event-day returns,
abnormal returns, CARs and BHARs, and the status code of every firm-event."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.study import garch
from analytics.study.engine.inputs import (
    Panel,
)
from analytics.study.models import ModelFit, dimson, market_adjusted, ols, scholes_williams
from analytics.study.returns import align
from analytics.study.spec import FACTOR_MODELS, GARCH_MODELS, StudySpec

__all__ = [
    "HISTORY",
    "NO_FIT",
    "NO_PRICES",
    "OK",
    "SINGULAR",
    "SPIKE",
    "UNKNOWN",
    "ZERO_VAR",
    "Core",
    "bhar",
    "cars",
    "estimate",
    "fit_model",
    "param_names",
    "standardized_cars",
    "window_slices",
]

_ZERO_SIGMA = 1e-10
OK, UNKNOWN, NO_PRICES, SPIKE, HISTORY, SINGULAR, ZERO_VAR, NO_FIT = range(8)
"""Status codes of a firm-event (:mod:`~analytics.study.engine.exclusions` words them)."""


@dataclass(frozen=True, kw_only=True, eq=False)
class Core:
    """Fitted models and event-day arrays of a set of firm-events (columns)."""

    fit: ModelFit
    ret: np.ndarray  # (W, N)
    expected: np.ndarray  # (W, N)
    ar: np.ndarray  # (W, N)
    code: np.ndarray  # (N,) status code
    spike_row: np.ndarray  # (N,) row in the estimation-to-event range, -1 if none
    spike_ratio: np.ndarray  # (N,)


def fit_model(
    spec: StudySpec, panel: Panel, day0_rows: np.ndarray, columns: np.ndarray
) -> tuple[ModelFit, np.ndarray, np.ndarray]:
    """Fit the spec's model; returns the fit, all returns (estimation start to last event day)
    and the expected event-day returns."""
    est_a, est_b = spec.estimation
    first, last = spec.event_span
    rel = np.arange(est_a, last + 1)
    est, evt = slice(0, est_b - est_a + 1), slice(first - est_a, last - est_a + 1)
    r = align(panel.returns, day0_rows, rel, columns)
    m = align(panel.market, day0_rows, rel)
    if spec.model == "market_adjusted":
        fit = market_adjusted(r[est], m[est], m[evt])
        return fit, r, fit.fitted
    if spec.model in GARCH_MODELS:
        fit = garch.garch(
            r[est],
            m[est],
            m[evt],
            np.arange(first, last + 1) - est_b,
            vol="garch" if spec.model == "garch" else "egarch",
            min_n=spec.min_estimation,
        )
        return fit, r, fit.fitted
    if spec.market_lags:
        k = spec.market_lags
        # The market k sessions either side of every estimation day.
        shifted = align(panel.market, day0_rows, np.arange(est_a - k, est_b + k + 1))
        lagged = np.stack([shifted[j : j + est_b - est_a + 1] for j in range(2 * k + 1)], axis=2)
        thin = scholes_williams if spec.model == "scholes_williams" else dimson
        fit = thin(r[est], lagged, m[evt])
        return fit, r, fit.fitted
    rf = align(panel.rf, day0_rows, rel)
    if spec.model == "constant_mean":
        x = np.empty((*r.shape, 0))
    elif spec.model == "market":
        x = m[..., None]
    elif spec.model == "capm":
        x = (m - rf)[..., None]
    else:
        x = align(panel.factors, day0_rows, rel)
    excess = spec.model == "capm" or spec.model in FACTOR_MODELS
    y = r - rf if excess else r
    fit = ols(y[est], x[est], x[evt])
    return fit, r, fit.fitted + rf[evt] if excess else fit.fitted


def estimate(spec: StudySpec, panel: Panel, day0_rows: np.ndarray, columns: np.ndarray) -> Core:
    """Everything per firm-event that does not depend on which firms are aggregated."""
    est_a, est_b = spec.estimation
    first, last = spec.event_span
    fit, r, expected = fit_model(spec, panel, day0_rows, columns)
    ret = r[first - est_a :]
    code = np.where(np.isfinite(r).any(axis=0), OK, NO_PRICES)
    rel = np.arange(est_a, last + 1)
    hits = align(panel.spikes, day0_rows, rel, columns) & ((rel <= est_b) | (rel >= first))[:, None]
    spike_row = np.where(hits.any(axis=0), hits.argmax(axis=0), -1)
    jump = r[np.maximum(spike_row, 0), np.arange(len(code))]
    spike_ratio = np.where(
        spike_row >= 0, np.exp(jump) if spec.returns == "log" else 1 + jump, np.nan
    )
    estimation = r[: est_b - est_a + 1]
    seen = np.isfinite(estimation)
    constant = np.where(seen, estimation, -np.inf).max(axis=0) <= np.where(
        seen, estimation, np.inf
    ).min(axis=0)
    checks = (
        (spec.spike_screen == "exclude") & (spike_row >= 0),
        fit.n < spec.min_estimation,
        # Constant prices are worded as such even when the GARCH fit failed on them.
        ~constant & (np.zeros(len(code), dtype=bool) if fit.failed is None else fit.failed),
        fit.singular,
        constant | ~(np.sqrt(np.where(fit.sigma2 >= 0, fit.sigma2, 0.0)) > _ZERO_SIGMA),
    )
    for status, failed in zip((SPIKE, HISTORY, NO_FIT, SINGULAR, ZERO_VAR), checks, strict=True):
        code = np.where((code == OK) & failed, status, code)
    return Core(
        fit=fit,
        ret=ret,
        expected=expected,
        ar=ret - expected,
        code=code,
        spike_row=spike_row,
        spike_ratio=spike_ratio,
    )


def window_slices(spec: StudySpec) -> list[slice]:
    """Rows of each event window in the event-day arrays (which start at the first event day)."""
    first = spec.event_span[0]
    return [slice(a - first, b - first + 1) for a, b in spec.windows]


def cars(spec: StudySpec, ar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(n_win, N)`` CARs (NaN when a day is missing) and whether every day is present."""
    car = np.stack([ar[rows].sum(axis=0) for rows in window_slices(spec)])
    return car, np.isfinite(car)


def param_names(spec: StudySpec, factor_names: tuple[str, ...]) -> tuple[str, ...]:
    """Names of the fitted model's parameters, in the order of ``ModelFit.params``."""
    if spec.model == "market_adjusted":
        return ()
    if spec.model == "constant_mean":
        return ("alpha",)
    if spec.model in FACTOR_MODELS:
        return ("alpha", *(f"beta_{name}" for name in factor_names))
    if spec.model in GARCH_MODELS:
        return garch.param_names("garch" if spec.model == "garch" else "egarch")
    return ("alpha", "beta")


def bhar(spec: StudySpec, ret: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``(n_win, N)`` buy-and-hold abnormal returns ``Π(1+R) - Π(1+E)`` (exp-sum for logs)."""
    if spec.returns == "log":
        return np.stack(
            [
                np.exp(ret[r].sum(axis=0)) - np.exp(expected[r].sum(axis=0))
                for r in window_slices(spec)
            ]
        )
    return np.stack(
        [(1 + ret[r]).prod(axis=0) - (1 + expected[r]).prod(axis=0) for r in window_slices(spec)]
    )


def standardized_cars(
    spec: StudySpec, car: np.ndarray, var_car: np.ndarray, ar: np.ndarray, var_ar: np.ndarray
) -> np.ndarray:
    """``(n_win, N)`` SCARs as ``spec.standardization`` defines them.

    ``exact``: ``CAR / sqrt(Var(CAR))``. ``sum_sar``: ``Σ_t SAR_t / sqrt(L)`` with
    ``SAR_t = AR_t / sqrt(Var(AR_t))``, which leaves out the covariance of a firm's ARs across
    the window's days (from estimation error).
    """
    if spec.standardization == "exact":
        return car / np.sqrt(np.where(var_car > 0, var_car, np.nan))
    sar = ar / np.sqrt(np.where(var_ar > 0, var_ar, np.nan))
    return np.stack(
        [sar[rows].sum(axis=0) / np.sqrt(sar[rows].shape[0]) for rows in window_slices(spec)]
    )
