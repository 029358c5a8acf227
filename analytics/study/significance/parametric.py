"""Parametric tests of CAAR: cross-sectional t, Patell Z and its Kolari-Pynnönen adjustment
for cross-correlation, BMP t and its adjustment, Hall's skewness-corrected t on BHAR, and the
portfolio (crude dependence) t."""

from __future__ import annotations

import math

import numpy as np

from analytics.study.significance.correlation import mean_pairwise_correlation
from analytics.study.significance.testresult import TestResult, t_result, z_result

__all__ = [
    "adjusted_patell_z",
    "bmp_t",
    "cross_sectional_t",
    "day_sums",
    "kolari_pynnonen",
    "patell_z",
    "portfolio_from_sums",
    "portfolio_t",
    "skewness_corrected_t",
]

_NAN = float("nan")


def _mean_over_sd(x: np.ndarray) -> float:
    """``mean(x) / (sd(x) / sqrt(n))`` with ddof 1; NaN when ``n < 2`` or ``sd == 0``."""
    n = x.size
    if n < 2:
        return _NAN
    sd = float(np.std(x, ddof=1))
    if not sd > 0:
        return _NAN
    return float(np.mean(x)) / (sd / math.sqrt(n))


def cross_sectional_t(car: np.ndarray) -> TestResult:
    """Cross-sectional t test of CAAR: ``CAAR / (sd(CAR) / sqrt(N))``, ddof 1, ``N - 1`` df.

    Parameters
    ----------
    car
        ``(N,)`` CARs of the included firms.

    References
    ----------
    Brown and Warner (1985), section 3.
    """
    x = np.asarray(car, dtype=float)
    return t_result(_mean_over_sd(x), x.size - 1, "CAAR = 0")


def patell_z(scar: np.ndarray, dof: np.ndarray) -> TestResult:
    """Patell's Z: ``sum_i SCAR_i / sqrt(sum_i dof_i / (dof_i - 2))``, p from the normal.

    ``dof_i / (dof_i - 2)`` is the variance of a t variable with ``dof_i`` degrees of freedom; for
    the market model ``dof_i = L_i - 2`` and it is Patell's ``(L_i - 2) / (L_i - 4)``. The test is
    undefined (NaN) when any ``dof_i <= 2`` or there is no firm.

    Parameters
    ----------
    scar
        ``(N,)`` standardized CARs.
    dof
        ``(N,)`` residual degrees of freedom of each firm's normal-return model.

    References
    ----------
    Patell (1976).
    """
    null = "CAAR = 0 (standardized CARs independent across firms)"
    s = np.asarray(scar, dtype=float)
    d = np.asarray(dof, dtype=float)
    if s.size == 0 or not np.all(d > 2):
        return z_result(_NAN, null)
    return z_result(float(s.sum()) / math.sqrt(float(np.sum(d / (d - 2.0)))), null)


def _kp_factor(n: int, r: float) -> float:
    """Kolari and Pynnönen's ``sqrt((1 - r) / (1 + (N - 1) r))``; NaN when undefined."""
    denominator = 1.0 + (n - 1) * r
    if not (denominator > 0 and r <= 1):
        return _NAN
    return math.sqrt((1.0 - r) / denominator)


def adjusted_patell_z(
    scar: np.ndarray, dof: np.ndarray, est_resid: np.ndarray, *, rbar: float | None = None
) -> TestResult:
    """Patell's Z adjusted for cross-correlation: ``Z * sqrt((1 - r) / (1 + (N - 1) r))``.

    ``Z`` is :func:`patell_z` and ``r`` the :func:`mean_pairwise_correlation` of the
    estimation residuals, as ARC (EventStudyTools) adjusts it; p from the normal. NaN when the
    Patell Z is undefined, ``r`` is (one firm) or ``1 + (N - 1) r <= 0``.

    Parameters
    ----------
    scar
        ``(N,)`` standardized CARs.
    dof
        ``(N,)`` residual degrees of freedom of each firm's normal-return model.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.
    rbar
        ``r`` when already known; computed if None.

    References
    ----------
    Kolari and Pynnönen (2010), section 2.2, applied to Patell (1976).
    """
    s = np.asarray(scar, dtype=float)
    null = "CAAR = 0 (standardized CARs, adjusted for cross-correlation)"
    z = patell_z(s, dof).stat
    r = mean_pairwise_correlation(est_resid) if rbar is None else rbar
    return z_result(z * _kp_factor(s.size, r), null)


def skewness_corrected_t(bhar: np.ndarray) -> TestResult:
    """Hall's skewness-corrected t of the mean BHAR, as Lyon, Barber and Tsai apply it.

    ``t = sqrt(N) (S + g S² / 3 + g / (6 N))`` with ``S = mean / sd`` (ddof 1) and the
    skewness ``g = sum (x - mean)³ / (N sd³)``; p from t with ``N - 1`` df (as the plain
    cross-sectional t). NaN with fewer than two firms or zero spread.

    Parameters
    ----------
    bhar
        ``(N,)`` buy-and-hold abnormal returns of the included firms.

    References
    ----------
    Hall (1992); Lyon, Barber and Tsai (1999), eq. (5); Stata ``eventstudy2`` (Kaspereit).
    """
    x = np.asarray(bhar, dtype=float)
    n = x.size
    null = "mean BHAR = 0 (skewness-corrected)"
    if n < 2:
        return t_result(_NAN, n - 1, null)
    sd = float(np.std(x, ddof=1))
    if not sd > 0:
        return t_result(_NAN, n - 1, null)
    dev = x - float(np.mean(x))
    s = float(np.mean(x)) / sd
    g = float(np.sum(dev**3)) / (n * sd**3)
    return t_result(math.sqrt(n) * (s + g * s * s / 3.0 + g / (6.0 * n)), n - 1, null)


def bmp_t(scar: np.ndarray) -> TestResult:
    """Boehmer-Musumeci-Poulsen standardized cross-sectional t: ``mean(SCAR) / (sd(SCAR)/sqrt N)``.

    ddof 1, p from t with ``N - 1`` df.

    References
    ----------
    Boehmer, Musumeci and Poulsen (1991).
    """
    s = np.asarray(scar, dtype=float)
    return t_result(_mean_over_sd(s), s.size - 1, "mean SCAR = 0")


def kolari_pynnonen(
    scar: np.ndarray, est_resid: np.ndarray, *, rbar: float | None = None
) -> TestResult:
    """Kolari-Pynnönen adjusted BMP t: ``BMP t * sqrt((1 - r) / (1 + (N - 1) r))``.

    ``r`` is :func:`mean_pairwise_correlation` of the estimation residuals; p from t with
    ``N - 1`` df. NaN when ``1 + (N - 1) r <= 0`` or the BMP t is undefined.

    Parameters
    ----------
    scar
        ``(N,)`` standardized CARs.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.
    rbar
        ``r`` when already known (windows sharing their firms share it); computed if None.

    References
    ----------
    Kolari and Pynnönen (2010), eq. (9).
    """
    s = np.asarray(scar, dtype=float)
    null = "mean SCAR = 0 (adjusted for cross-correlation)"
    r = mean_pairwise_correlation(est_resid) if rbar is None else rbar
    return t_result(_mean_over_sd(s) * _kp_factor(s.size, r), s.size - 1, null)


def day_sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per day (row): the sum of the finite values and their count; additive over firms."""
    valid = np.isfinite(values)
    return np.where(valid, values, 0.0).sum(axis=1), valid.sum(axis=1)


def portfolio_t(window_ar: np.ndarray, est_resid: np.ndarray) -> TestResult:
    """Portfolio (crude dependence adjustment) t: ``CAAR / (sqrt(L_w) * sd_est(AAR))``.

    AAR is the mean over firms with a value on the day; ``sd_est`` its standard deviation
    (ddof 1) over the D estimation days that have one; ``CAAR`` the sum of the window's AARs.
    P from t with ``D - 1`` df.

    Parameters
    ----------
    window_ar
        ``(L_w, N)`` abnormal returns of the window's days.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Brown and Warner (1985), section 3 ("crude dependence adjustment").
    """
    w = np.asarray(window_ar, dtype=float)
    return portfolio_from_sums(
        day_sums(np.asarray(est_resid, dtype=float)), day_sums(w), window_days=w.shape[0]
    )


def portfolio_from_sums(
    estimation: tuple[np.ndarray, np.ndarray],
    window: tuple[np.ndarray, np.ndarray],
    *,
    window_days: int,
) -> TestResult:
    """:func:`portfolio_t` from the :func:`day_sums` of the estimation residuals and of the
    window's ARs."""
    (est_sums, est_count), (win_sums, win_count) = estimation, window
    aar_est = est_sums[est_count > 0] / est_count[est_count > 0]
    days = aar_est.size
    null = "CAAR = 0 (portfolio of the firms)"
    aar_w = win_sums[win_count > 0] / win_count[win_count > 0]
    if days < 2 or aar_w.size == 0:
        return t_result(_NAN, days - 1, null)
    sd = float(np.std(aar_est, ddof=1))
    if not sd > 0:
        return t_result(_NAN, days - 1, null)
    return t_result(float(aar_w.sum()) / (math.sqrt(window_days) * sd), days - 1, null)
