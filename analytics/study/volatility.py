"""Abnormal volatility of an event window: are the abnormal returns larger than the estimation
period's residuals predict, whatever their sign?

Each abnormal return is standardized by its prediction-error standard deviation (the SAR of the
mean tests) and squared: under "no change in volatility" a SAR² has mean ``dof / (dof - 2)``
(a squared Student t), so it is scaled by ``(dof - 2) / dof`` to mean 1. The window's
**ratio** is the mean of those squares over firms and days (1: as volatile as usual; 2: twice
the variance), and **λ**, their sum, is compared with a χ² of ``N·L`` degrees of freedom
(Beaver 1968's U statistic, summed as in EventStudyTools' abnormal-volatility test), two-sided
like every test here. Pure numpy and scipy.

References
----------
Beaver, W. H. (1968). The information content of annual earnings announcements. *Journal of
    Accounting Research* 6, 67-92.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["AbnormalVolatility", "abnormal_volatility", "volatility_from_sums", "volatility_sums"]


@dataclass(frozen=True)
class AbnormalVolatility:
    """The window's abnormal volatility.

    Attributes
    ----------
    ratio
        Mean scaled SAR² (1 = the estimation period's volatility).
    lam
        λ, the sum of the scaled SAR²s.
    df
        Its χ² degrees of freedom: the number of firm-days summed.
    p
        Two-sided p-value of λ against χ²(df); NaN without data.
    """

    ratio: float
    lam: float
    df: int
    p: float


def abnormal_volatility(
    window_ar: np.ndarray, window_var_ar: np.ndarray, dof: np.ndarray
) -> AbnormalVolatility:
    """Abnormal volatility of ``window_ar`` ``(L, N)`` with prediction-error variances
    ``window_var_ar`` ``(L, N)`` and each firm's residual degrees of freedom ``dof`` ``(N,)``;
    firm-days with a missing value or a variance that is not positive are left out."""
    return volatility_from_sums(*volatility_sums(window_ar, window_var_ar, dof))


def volatility_sums(
    window_ar: np.ndarray, window_var_ar: np.ndarray, dof: np.ndarray
) -> tuple[float, int]:
    """λ and its degrees of freedom for :func:`abnormal_volatility`: additive over firms."""
    scale = np.where(dof > 2, (dof - 2) / np.where(dof > 0, dof, 1), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        squares = window_ar**2 / window_var_ar * scale[None, :]
    usable = np.isfinite(squares) & (window_var_ar > 0)
    return float(squares[usable].sum()), int(usable.sum())


def volatility_from_sums(lam: float, df: int) -> AbnormalVolatility:
    """:func:`abnormal_volatility` from :func:`volatility_sums`."""
    if df == 0:
        return AbnormalVolatility(math.nan, math.nan, 0, math.nan)
    tail = min(stats.chi2.cdf(lam, df), stats.chi2.sf(lam, df))
    return AbnormalVolatility(lam / df, lam, df, float(min(1.0, 2 * tail)))
