"""Normal-return models, fitted for all firm-events at once.

Inputs are aligned matrices: rows are relative days, columns firm-events (``N``), regressors on
a trailing axis (``k``). NaN marks a missing value; an estimation day is valid for a firm-event
when its return and all its regressors are present, so every firm-event gets its own ``L_i``.

- :func:`ols` covers the constant-mean model (``k = 0``), the market model and CAPM (``k = 1``)
  and factor models: OLS with an intercept, ``sigma² = SSR / (L_i - k - 1)`` and the
  prediction-error covariance ``sigma² (I + X*(X'X)^{-1}X*')`` over the event days. With an
  intercept, ``X*(X'X)^{-1}X*'`` equals ``1/L + d*' S^{-1} d`` with ``d = x* - mean x`` and ``S``
  the centred cross-product matrix; the centred form is the one computed because it is far
  better conditioned than the raw normal equations.
- :func:`market_adjusted`: ``E = R_m``; ``sigma`` is the standard deviation (ddof 1) of the
  estimation-window abnormal returns, ``Var(AR) = sigma² I`` (no parameter is estimated, so no
  estimation-error term), ``L_i - 1`` degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ModelFit", "market_adjusted", "ols"]

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
    """

    params: np.ndarray
    sigma2: np.ndarray
    n: np.ndarray
    dof: np.ndarray
    singular: np.ndarray
    resid: np.ndarray
    fitted: np.ndarray
    cov: np.ndarray


def _centred_inverse(xc: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of each firm-event's centred cross-product matrix, and where it is singular."""
    n_fe, k = xc.shape[1], xc.shape[2]
    sxx = np.einsum("lnk,lnj->nkj", xc, xc)
    eig = np.linalg.eigvalsh(sxx)
    singular = (eig[:, -1] <= 0) | (eig[:, 0] <= _SINGULAR * eig[:, -1]) | (n < k + 2)
    identity = np.broadcast_to(np.eye(k), (n_fe, k, k))
    inv = np.linalg.inv(np.where(singular[:, None, None], identity, sxx))
    return inv, singular


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
