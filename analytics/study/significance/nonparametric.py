"""Nonparametric tests: Cowan's generalized sign Z, Corrado's rank Z and the Wilcoxon
signed-rank test."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from analytics.study.significance.testresult import TestResult, z_result

__all__ = ["corrado_rank_z", "generalized_sign_z", "wilcoxon_test"]

_NAN = float("nan")


def generalized_sign_z(car: np.ndarray, est_resid: np.ndarray) -> TestResult:
    """Cowan's generalized sign Z: ``(w - N p) / sqrt(N p (1 - p))``, p-value from the normal.

    ``w`` counts firms with ``CAR > 0``; ``p`` is the mean over firms of each firm's share of
    positive estimation residuals (over its valid days; firms without any are left out of ``p``).
    NaN when there is no firm or ``p`` is 0 or 1.

    Parameters
    ----------
    car
        ``(N,)`` CARs.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Cowan (1992), section 2.2.
    """
    c = np.asarray(car, dtype=float)
    e = np.asarray(est_resid, dtype=float)
    null = "share of positive CARs = share of positive estimation residuals"
    valid = np.isfinite(e).sum(axis=0)
    has = valid > 0
    if c.size == 0 or not has.any():
        return z_result(_NAN, null)
    p = float(np.mean((e[:, has] > 0).sum(axis=0) / valid[has]))
    if not 0 < p < 1:
        return z_result(_NAN, null)
    n = c.size
    w = int((c > 0).sum())
    return z_result((w - n * p) / math.sqrt(n * p * (1.0 - p)), null)


def _rank_sums(ordered: np.ndarray) -> np.ndarray:
    """``first + last`` for each value of columns sorted ascending: the 0-based positions of the
    first and the last of its ties, so its average rank is ``(first + last) / 2 + 1``."""
    n_rows = ordered.shape[0]
    row = np.arange(n_rows, dtype=np.int32)[:, None]
    starts = np.ones(ordered.shape, dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    ends = np.ones(ordered.shape, dtype=bool)
    ends[:-1] = starts[1:]
    first = np.maximum.accumulate(np.where(starts, row, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, row, n_rows)[::-1], axis=0)[::-1]
    first += last
    return first


def corrado_rank_z(window_ar: np.ndarray, est_resid: np.ndarray) -> TestResult:
    """Corrado's rank test in Cowan's window form, p-value from the normal.

    Each firm ranks (average ranks for ties) its ``T_i`` valid values, estimation residuals and
    window ARs together; ``U_it = K_it / (T_i + 1) - 1/2``; ``Ubar_t`` is the mean over firms with
    a value on day t; ``S_U = sqrt(mean of Ubar_t^2 over estimation and window days)`` (days where
    no firm has a value are skipped); ``Z = sum_{t in w} Ubar_t / (sqrt(L_w) S_U)``.

    Parameters
    ----------
    window_ar
        ``(L_w, N)`` abnormal returns of the window's days.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Corrado (1989); Cowan (1992), section 2.3.
    """
    w = np.asarray(window_ar, dtype=float)
    stacked = np.vstack([np.asarray(est_resid, dtype=float), w])
    null = "event-window ranks distributed as estimation-window ranks"
    valid = np.isfinite(stacked)
    n_days = stacked.shape[0]
    n_valid = valid.sum(axis=0)
    count = valid.sum(axis=1)
    # Missing values become +inf: they sort after every valid value, and numpy's vectorized
    # sorts avoid their slow path for NaN. Each column is sorted once; a value's rank is read at
    # its sorted position and its U summed back to its day (row) through ``order``.
    stacked[~valid] = np.inf
    order = np.argsort(stacked, axis=0)
    stacked.sort(axis=0)
    # U = K / (T + 1) - 1/2: K is the 1-based position, except among ties, rare in real
    # residuals, whose columns get the average rank K = (first + last) / 2 + 1.
    row = np.arange(n_days)[:, None]
    u = (row + 1.0) / (n_valid + 1.0) - 0.5
    repeats = (stacked[1:] == stacked[:-1]) & (row[1:] < n_valid)
    tied = np.flatnonzero(repeats.any(axis=0))
    u[:, tied] = (_rank_sums(stacked[:, tied]) + 2.0) / (2.0 * (n_valid[tied] + 1.0)) - 0.5
    u[row >= n_valid] = 0.0
    day_sums = np.bincount(order.ravel(), weights=u.ravel(), minlength=n_days)
    has = count > 0
    ubar = day_sums[has] / count[has]
    in_window = has[n_days - w.shape[0] :]
    if not in_window.any():
        return z_result(_NAN, null)
    s_u = math.sqrt(float(np.mean(ubar * ubar)))
    if not s_u > 0:
        return z_result(_NAN, null)
    window_sum = float(ubar[ubar.size - int(in_window.sum()) :].sum())
    return z_result(window_sum / (math.sqrt(w.shape[0]) * s_u), null)


def wilcoxon_test(car: np.ndarray) -> TestResult:
    """Wilcoxon signed-rank test on the CARs (``scipy.stats.wilcoxon`` with its defaults).

    ``stat`` is scipy's statistic (the smaller of the positive- and negative-rank sums). Zero CARs
    are dropped (scipy's default ``zero_method="wilcox"``); NaN when no non-zero CAR is left.

    References
    ----------
    Wilcoxon (1945).
    """
    c = np.asarray(car, dtype=float)
    null = "CARs symmetric about zero"
    if not np.any(c != 0):
        return z_result(_NAN, null)
    result = stats.wilcoxon(c)
    return TestResult(stat=float(result.statistic), pvalue=float(result.pvalue), null=null)
