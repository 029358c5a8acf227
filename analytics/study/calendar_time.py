"""The calendar-time portfolio of a multi-event study (Jaffe 1974; Mandelker 1974; Fama 1998).

On each session, the portfolio holds, equally weighted, every firm-event whose event window
covers that session; sessions that hold none are left out. Its daily return, less the risk-free
rate when the model has one, is regressed by OLS on the model's regressors (the benchmark's
return, or the factors); the intercept, alpha, is the portfolio's mean daily abnormal return,
and its t statistic does not assume the firm-events independent: firms that share sessions share
one portfolio return. Alpha times the window length is comparable to the CAAR.

Pure numpy; no pandas, no I/O.

References
----------
Fama, E. F. (1998). Market efficiency, long-term returns, and behavioral finance. *Journal of
    Financial Economics* 49(3), 283-306.
Jaffe, J. F. (1974). Special information and insider trading. *Journal of Business* 47(3),
    410-428.
Mandelker, G. (1974). Risk and return: the case of merging firms. *Journal of Financial
    Economics* 1(4), 303-335.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "CalendarTime",
    "calendar_time_portfolio",
    "daily_portfolio",
    "portfolio_alpha",
    "window_cover",
]


@dataclass(frozen=True)
class CalendarTime:
    """Alpha of the calendar-time portfolio of one event window.

    Attributes
    ----------
    alpha, se, t, p
        Intercept (mean daily abnormal return), its OLS standard error, t statistic and
        two-sided p-value (Student t, ``days - 1 - regressors`` degrees of freedom); NaN when
        there are too few portfolio days.
    days
        Sessions on which the portfolio held at least one firm-event with a return.
    mean_firms
        The portfolio's mean number of firm-events on those sessions.
    """

    alpha: float
    se: float
    t: float
    p: float
    days: int
    mean_firms: float


def window_cover(day0_rows: np.ndarray, start: int, end: int, n_sessions: int) -> np.ndarray:
    """``(n_sessions, N)`` True where session ``r`` is in firm-event ``i``'s window, i.e.
    ``day0_rows[i] + start <= r <= day0_rows[i] + end``."""
    rows = np.arange(n_sessions)[:, None]
    first = np.asarray(day0_rows)[None, :] + start
    return (rows >= first) & (rows <= first + (end - start))


def daily_portfolio(
    rows: np.ndarray, values: np.ndarray, n_sessions: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(sums, counts)`` per session of the finite ``values`` held on session ``rows``.

    One cell per firm-event and session of its window: ``O(N L)`` work and memory for N
    firm-events of L-day windows, whatever the number of sessions.
    """
    ok = np.isfinite(values) & (rows >= 0) & (rows < n_sessions)
    at = rows[ok]
    return (
        np.bincount(at, weights=values[ok], minlength=n_sessions),
        np.bincount(at, minlength=n_sessions),
    )


def calendar_time_portfolio(
    returns: np.ndarray,
    cover: np.ndarray,
    regressors: np.ndarray,
    risk_free: np.ndarray | None = None,
) -> CalendarTime:
    """Alpha of the equally weighted portfolio of the firm-events ``cover`` marks.

    Parameters
    ----------
    returns
        ``(T, N)`` daily returns of each firm-event's stock, NaN where missing.
    cover
        ``(T, N)`` True on the sessions of each firm-event's window (:func:`window_cover`),
        False for excluded firm-events.
    regressors
        ``(T, K)`` the model's regressors (excess returns when ``risk_free`` is given); a
        session where one is NaN is left out.
    risk_free
        ``(T,)`` risk-free return subtracted from the portfolio's, or None.
    """
    rows, cols = np.nonzero(cover)
    sums, counts = daily_portfolio(rows, returns[rows, cols], len(returns))
    return portfolio_alpha(sums, counts, regressors, risk_free)


def portfolio_alpha(
    sums: np.ndarray,
    counts: np.ndarray,
    regressors: np.ndarray,
    risk_free: np.ndarray | None = None,
) -> CalendarTime:
    """Alpha of the portfolio whose sessions hold ``counts`` returns adding up to ``sums``
    (:func:`daily_portfolio`); ``regressors`` and ``risk_free`` as in
    :func:`calendar_time_portfolio`."""
    portfolio = sums / np.where(counts > 0, counts, 1)
    if risk_free is not None:
        portfolio = portfolio - risk_free
    x = np.column_stack([np.ones(len(portfolio)), regressors])
    keep = (counts > 0) & np.isfinite(x).all(axis=1) & np.isfinite(portfolio)
    y, x = portfolio[keep], x[keep]
    days = int(keep.sum())
    mean_firms = float(counts[keep].mean()) if days else math.nan
    dof = days - x.shape[1]
    if dof < 1:
        return CalendarTime(math.nan, math.nan, math.nan, math.nan, days, mean_firms)
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    s2 = float(resid @ resid) / dof
    xtx_inv = np.linalg.pinv(x.T @ x)
    se = math.sqrt(s2 * xtx_inv[0, 0]) if s2 > 0 else math.nan
    alpha = float(coef[0])
    t = alpha / se if se > 0 else math.nan
    p = float(2 * stats.t.sf(abs(t), dof)) if math.isfinite(t) else math.nan
    return CalendarTime(alpha, se, t, p, days, mean_firms)
