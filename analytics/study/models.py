"""Normal-return models, fitted for all firm-events at once.

Inputs are aligned matrices: rows are relative days, columns firm-events (``N``), regressors on
a trailing axis (``k``). NaN marks a missing value; an estimation day is valid for a firm-event
when its return and all its regressors are present, so every firm-event gets its own ``L_i``.

- :func:`ols` covers the constant-mean model (``k = 0``), the market model and CAPM (``k = 1``,
  in compiled loops over the days) and factor models: OLS with an intercept,
  ``sigma² = SSR / (L_i - k - 1)`` and the prediction-error covariance
  ``sigma² (I + X*(X'X)^{-1}X*')`` over the event days. With an intercept, ``X*(X'X)^{-1}X*'``
  equals ``1/L + d*' S^{-1} d`` with ``d = x* - mean x`` and ``S`` the centred cross-product
  matrix; the centred form is the one computed because it is far
  better conditioned than the raw normal equations.
- :func:`market_adjusted`: ``E = R_m``; ``sigma`` is the standard deviation (ddof 1) of the
  estimation-window abnormal returns, ``Var(AR) = sigma² I`` (no parameter is estimated, so no
  estimation-error term), ``L_i - 1`` degrees of freedom.
- :func:`scholes_williams` and :func:`dimson`: the market model with a beta corrected for thin
  trading (Scholes and Williams 1977; Dimson 1979), each beta from :func:`ols` on lagged and led
  market returns. The normal return is ``alpha + beta R_m`` with ``alpha = mean R_i - beta mean
  R_m`` over the valid days (a day is valid when the firm's return and every lagged and led market
  return are present); ``sigma² = SSR / (L_i - 2)`` of those residuals and the prediction-error
  covariance is the market model's, ``sigma² (I + 1/L + d d' / S_mm)``, ``d = R_m* - mean R_m``.

References
----------
Dimson, E. (1979). Risk measurement when shares are subject to infrequent trading. *Journal of
    Financial Economics* 7(2), 197-226.
Scholes, M. and Williams, J. (1977). Estimating betas from nonsynchronous data. *Journal of
    Financial Economics* 5(3), 309-327.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = [
    "ModelFit",
    "corrected_market",
    "dimson",
    "market_adjusted",
    "ols",
    "scholes_williams",
]

_SINGULAR = 1e-12
"""Smallest allowed ratio of the extreme eigenvalues of a firm-event's regressor matrix."""


@dataclass(frozen=True, kw_only=True, eq=False)
class ModelFit:
    """A normal-return model fitted to ``N`` firm-events.

    Attributes
    ----------
    params
        ``(N, p)``: intercept then one loading per regressor (``p = 0`` for market-adjusted).
    sigma2
        ``(N,)`` residual variance; NaN where the firm-event cannot be fitted.
    n
        ``(N,)`` valid estimation days ``L_i``.
    dof
        ``(N,)`` residual degrees of freedom, ``L_i - p`` (``L_i - 1`` for market-adjusted).
    singular
        ``(N,)`` true where the regressors are degenerate (e.g. constant) over the valid days.
    resid
        ``(L, N)`` estimation residuals, NaN on invalid days.
    fitted
        ``(W, N)`` expected returns on the event days (NaN where a regressor is missing).
    cov
        ``(N, W, W)`` prediction-error covariance of the event-day abnormal returns.
    failed
        ``(N,)`` true where an iterative fit (GARCH) did not converge; None for closed forms.
    """

    params: np.ndarray
    sigma2: np.ndarray
    n: np.ndarray
    dof: np.ndarray
    singular: np.ndarray
    resid: np.ndarray
    fitted: np.ndarray
    cov: np.ndarray
    failed: np.ndarray | None = None


def _centred_inverse(xc: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each firm-event's centred cross-product matrix, and where it is singular."""
    n_fe, k = xc.shape[1], xc.shape[2]
    sxx = np.einsum("lnk,lnj->nkj", xc, xc)
    eig = np.linalg.eigvalsh(sxx)
    singular = (eig[:, -1] <= 0) | (eig[:, 0] <= _SINGULAR * eig[:, -1]) | (n < k + 2)
    identity = np.broadcast_to(np.eye(k), (n_fe, k, k))
    inv = np.linalg.inv(np.where(singular[:, None, None], identity, sxx))
    return inv, singular


def _one_regressor(y_est: np.ndarray, x_est: np.ndarray, x_evt: np.ndarray) -> ModelFit:
    """:func:`ols` with one regressor (the market model, CAPM), the same formulas in
    compiled passes over the days (no ``(L, N, k)`` temporaries)."""
    x, x_evt = np.asarray(x_est, dtype=float), np.asarray(x_evt, dtype=float)
    # A regressor every firm-event shares (one day 0) is read as one column, stride 0.
    shared = x.strides[1] == 0 and x_evt.strides[1] == 0
    params, sigma2, n, singular, resid, fitted, cov = _one_regressor_loops(
        np.ascontiguousarray(y_est, dtype=float),
        np.ascontiguousarray(x[:, :1] if shared else x),
        np.ascontiguousarray(x_evt[:, :1] if shared else x_evt),
        0 if shared else 1,
    )
    return ModelFit(
        params=params, sigma2=sigma2, n=n, dof=n - 2, singular=singular, resid=resid,
        fitted=fitted, cov=cov,
    )  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _one_regressor_loops(y, x, x_evt, step):
    days, firms = y.shape
    width = x_evt.shape[0]
    n = np.zeros(firms, dtype=np.int64)
    y_mean = np.zeros(firms)
    x_mean = np.zeros(firms)
    for t in range(days):  # day by day: each pass reads the rows in memory order
        for i in range(firms):
            if np.isfinite(y[t, i]) and np.isfinite(x[t, i * step]):
                n[i] += 1
                y_mean[i] += y[t, i]
                x_mean[i] += x[t, i * step]
    per_n = 1.0 / np.maximum(n, 1)
    y_mean *= per_n
    x_mean *= per_n
    sxx = np.zeros(firms)
    sxy = np.zeros(firms)
    for t in range(days):
        for i in range(firms):
            if np.isfinite(y[t, i]) and np.isfinite(x[t, i * step]):
                xc = x[t, i * step] - x_mean[i]
                sxx[i] += xc * xc
                sxy[i] += xc * (y[t, i] - y_mean[i])
    # The 1 x 1 cross-product matrix is its own eigenvalue, so the general rule's eigenvalue
    # ratio holds unless it is 0; a singular one is replaced by 1.
    singular = (sxx <= 0) | (n < 3)
    inv = np.where(singular, 1.0, 1.0 / np.where(singular, 1.0, sxx))
    beta = inv * sxy
    alpha = y_mean - x_mean * beta
    resid = np.full((days, firms), np.nan)
    ssr = np.zeros(firms)
    for t in range(days):
        for i in range(firms):
            if np.isfinite(y[t, i]) and np.isfinite(x[t, i * step]):
                e = y[t, i] - alpha[i] - x[t, i * step] * beta[i]
                resid[t, i] = e
                ssr[i] += e * e
    sigma2 = np.where(singular, np.nan, ssr / np.maximum(n - 2, 1))
    fitted = np.empty((width, firms))
    cov = np.empty((firms, width, width))
    for i in range(firms):
        for w in range(width):
            fitted[w, i] = alpha[i] + x_evt[w, i * step] * beta[i]
            d_w = x_evt[w, i * step] - x_mean[i]
            for v in range(width):
                hat = per_n[i] + d_w * inv[i] * (x_evt[v, i * step] - x_mean[i])
                cov[i, w, v] = sigma2[i] * ((1.0 if w == v else 0.0) + hat)
    params = np.empty((firms, 2))
    params[:, 0] = alpha
    params[:, 1] = beta
    return params, sigma2, n, singular, resid, fitted, cov


def ols(y_est: np.ndarray, x_est: np.ndarray, x_evt: np.ndarray) -> ModelFit:
    """OLS with an intercept of ``y`` on ``k`` regressors, per firm-event, vectorized.

    Parameters
    ----------
    y_est
        ``(L, N)`` estimation-window (excess) returns.
    x_est
        ``(L, N, k)`` estimation-window regressors; ``k = 0`` is the constant-mean model.
    x_evt
        ``(W, N, k)`` event-day regressors.
    """
    k = x_est.shape[2]
    if k == 1:
        return _one_regressor(y_est, x_est[..., 0], x_evt[..., 0])
    valid = np.isfinite(y_est) & np.isfinite(x_est).all(axis=2)
    n = valid.sum(axis=0)
    per_n = 1.0 / np.maximum(n, 1)
    y0 = np.where(valid, y_est, 0.0)
    x0 = np.where(valid[..., None], x_est, 0.0)
    y_mean = y0.sum(axis=0) * per_n
    x_mean = x0.sum(axis=0) * per_n[:, None]
    xc = np.where(valid[..., None], x0 - x_mean, 0.0)
    if k:
        inv, singular = _centred_inverse(xc, n)
        sxy = np.einsum("lnk,ln->nk", xc, np.where(valid, y0 - y_mean, 0.0))
        beta = np.einsum("nkj,nj->nk", inv, sxy)
    else:
        inv = np.zeros((y_est.shape[1], 0, 0))
        singular = n < 2
        beta = np.zeros((y_est.shape[1], 0))
    alpha = y_mean - np.einsum("nk,nk->n", x_mean, beta)
    resid = np.where(valid, y_est - alpha - np.einsum("lnk,nk->ln", x0, beta), np.nan)
    dof = n - k - 1
    ssr = np.where(valid, resid, 0.0) ** 2
    sigma2 = np.where(singular, np.nan, ssr.sum(axis=0) / np.maximum(dof, 1))
    d = x_evt - x_mean
    leverage = np.einsum("wnk,nkj->wnj", d, inv)
    hat = per_n[:, None, None] + np.einsum("wnj,vnj->nwv", leverage, d)
    eye = np.eye(x_evt.shape[0])
    return ModelFit(
        params=np.column_stack([alpha, beta]),
        sigma2=sigma2,
        n=n,
        dof=dof,
        singular=singular,
        resid=resid,
        fitted=alpha + np.einsum("wnk,nk->wn", x_evt, beta),
        cov=sigma2[:, None, None] * (eye + hat),
    )


def market_adjusted(y_est: np.ndarray, m_est: np.ndarray, m_evt: np.ndarray) -> ModelFit:
    """Market-adjusted model ``E[R_i] = R_m``, per firm-event, vectorized.

    Parameters
    ----------
    y_est
        ``(L, N)`` estimation-window returns.
    m_est
        ``(L, N)`` benchmark returns on the same days.
    m_evt
        ``(W, N)`` benchmark returns on the event days.
    """
    ar = y_est - m_est
    valid = np.isfinite(ar)
    n = valid.sum(axis=0)
    mean = np.where(valid, ar, 0.0).sum(axis=0) / np.maximum(n, 1)
    dev = np.where(valid, ar - mean, 0.0)
    singular = n < 2
    sigma2 = np.where(singular, np.nan, (dev**2).sum(axis=0) / np.maximum(n - 1, 1))
    return ModelFit(
        params=np.zeros((y_est.shape[1], 0)),
        sigma2=sigma2,
        n=n,
        dof=n - 1,
        singular=singular,
        resid=ar,
        fitted=m_evt,
        cov=sigma2[:, None, None] * np.eye(m_evt.shape[0]),
    )


def corrected_market(
    y_est: np.ndarray,
    m_est: np.ndarray,
    m_evt: np.ndarray,
    beta: np.ndarray,
    valid: np.ndarray,
    singular: np.ndarray,
) -> ModelFit:
    """The market model ``alpha + beta R_m`` with a given ``beta`` per firm-event.

    ``alpha = mean R_i - beta mean R_m`` over the ``valid`` days, ``sigma² = SSR / (L_i - 2)``
    and the market model's prediction-error covariance (see the module).
    """
    n = valid.sum(axis=0)
    per_n = 1.0 / np.maximum(n, 1)
    y_mean = np.where(valid, y_est, 0.0).sum(axis=0) * per_n
    m_mean = np.where(valid, m_est, 0.0).sum(axis=0) * per_n
    mc = np.where(valid, m_est - m_mean, 0.0)
    smm = (mc**2).sum(axis=0)
    singular = singular | ~(smm > 0) | (n < 3) | ~np.isfinite(beta)
    beta = np.where(singular, 0.0, beta)
    alpha = y_mean - beta * m_mean
    resid = np.where(valid, y_est - alpha - beta * m_est, np.nan)
    dof = n - 2
    ssr = (np.where(valid, resid, 0.0) ** 2).sum(axis=0)
    sigma2 = np.where(singular, np.nan, ssr / np.maximum(dof, 1))
    d = m_evt - m_mean
    hat = (
        per_n[:, None, None]
        + np.einsum("wn,vn->nwv", d, d) / np.where(smm > 0, smm, 1.0)[:, None, None]
    )
    return ModelFit(
        params=np.column_stack([alpha, beta]),
        sigma2=sigma2,
        n=n,
        dof=dof,
        singular=singular,
        resid=resid,
        fitted=alpha + beta * m_evt,
        cov=sigma2[:, None, None] * (np.eye(m_evt.shape[0]) + hat),
    )


def scholes_williams(y_est: np.ndarray, m_shifted: np.ndarray, m_evt: np.ndarray) -> ModelFit:
    """Scholes-Williams (1977) beta ``(b_-1 + b_0 + b_+1) / (1 + 2 rho_m)``, vectorized.

    ``b_j`` is the OLS slope of ``R_i,t`` on ``R_m,t+j`` alone and ``rho_m`` the first-order
    autocorrelation of the market (Pearson correlation of ``R_m,t`` and ``R_m,t-1``), all over
    the firm-event's valid days.

    Parameters
    ----------
    y_est
        ``(L, N)`` estimation-window returns.
    m_shifted
        ``(L, N, 3)`` market returns ``R_m,t-1``, ``R_m,t``, ``R_m,t+1`` on the estimation days.
    m_evt
        ``(W, N)`` market returns on the event days.
    """
    valid = np.isfinite(y_est) & np.isfinite(m_shifted).all(axis=2)
    y = np.where(valid, y_est, np.nan)
    empty = np.zeros((m_evt.shape[0], y.shape[1], 1))
    slopes = [ols(y, m_shifted[..., j : j + 1], empty) for j in range(3)]
    singular = np.logical_or.reduce([f.singular for f in slopes])
    n = np.maximum(valid.sum(axis=0), 1)
    lag = np.where(valid, m_shifted[..., 0], 0.0)
    now = np.where(valid, m_shifted[..., 1], 0.0)
    lag_c = np.where(valid, lag - lag.sum(axis=0) / n, 0.0)
    now_c = np.where(valid, now - now.sum(axis=0) / n, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (lag_c * now_c).sum(axis=0) / np.sqrt((lag_c**2).sum(axis=0) * (now_c**2).sum(axis=0))
        beta = sum(f.params[:, 1] for f in slopes) / (1 + 2 * rho)
    return corrected_market(y_est, m_shifted[..., 1], m_evt, beta, valid, singular)


def dimson(y_est: np.ndarray, m_shifted: np.ndarray, m_evt: np.ndarray) -> ModelFit:
    """Dimson (1979) beta: the sum of the OLS coefficients on ``R_m,t-K .. R_m,t+K``, vectorized.

    Parameters
    ----------
    y_est
        ``(L, N)`` estimation-window returns.
    m_shifted
        ``(L, N, 2K + 1)`` market returns ``R_m,t-K`` to ``R_m,t+K`` on the estimation days.
    m_evt
        ``(W, N)`` market returns on the event days.
    """
    k = m_shifted.shape[2]
    valid = np.isfinite(y_est) & np.isfinite(m_shifted).all(axis=2)
    fit = ols(y_est, m_shifted, np.zeros((m_evt.shape[0], y_est.shape[1], k)))
    beta = fit.params[:, 1:].sum(axis=1)
    return corrected_market(y_est, m_shifted[..., k // 2], m_evt, beta, valid, fit.singular)
