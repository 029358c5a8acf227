"""Nonparametric tests: Cowan's generalized sign Z, the Corrado-Zivney sign Z, Corrado's rank
Z, Kolari and Pynnönen's generalized rank t (GRANK-T) and the Wilcoxon signed-rank test."""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from analytics.study.significance.ranking import (
    ResidualSummary,
    positive_shares,
    rank_t_shift_sums,
    summarize_residuals,
    window_rank_sign_sums,
)
from analytics.study.significance.testresult import TestResult, t_result, z_result

__all__ = [
    "corrado_rank_z",
    "corrado_zivney_sign_z",
    "estimation_rank_sums",
    "generalized_rank_t",
    "generalized_sign_z",
    "median_sign_day_sums",
    "median_sign_from_sums",
    "rank_day_sums",
    "rank_from_sums",
    "rank_sign_day_sums",
    "rank_spread",
    "rank_t_from_sums",
    "rank_t_window_sums",
    "sign_from_shares",
    "wilcoxon_test",
]

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
    return sign_from_shares(car, positive_shares(est_resid))


def sign_from_shares(car: np.ndarray, shares: np.ndarray) -> TestResult:
    """:func:`generalized_sign_z` from the CARs and :func:`positive_shares` of the same firms."""
    c = np.asarray(car, dtype=float)
    share = np.asarray(shares, dtype=float)
    null = "share of positive CARs = share of positive estimation residuals"
    has = np.isfinite(share)
    if c.size == 0 or not has.any():
        return z_result(_NAN, null)
    p = float(np.mean(share[has]))
    if not 0 < p < 1:
        return z_result(_NAN, null)
    n = c.size
    w = int((c > 0).sum())
    return z_result((w - n * p) / math.sqrt(n * p * (1.0 - p)), null)


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
    return rank_from_sums(*rank_day_sums(w, est_resid), window_days=w.shape[0])


def rank_day_sums(
    window_ar: np.ndarray, est_resid: np.ndarray, *, summary: ResidualSummary | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Corrado's ranks per day, and the number of firms with a value that day: additive over
    disjoint sets of firms (each firm ranks its own values), so chunks of firms add up to the
    whole. The ranks are ``(L_est + L_w, L_est + L_w + 1)`` sums of twice the average rank
    ``2 K_it`` per day and number ``T_i`` of the firm's values, integers summed exactly, so
    the statistic does not depend on how the firms are chunked. ``summary``: the
    :func:`~analytics.study.significance.ranking.summarize_residuals` of ``est_resid`` when already
    known (every window of a study shares it)."""
    ranks, _, count = _window_sums(window_ar, est_resid, summary)
    return ranks, count


def _window_sums(
    window_ar: np.ndarray, est_resid: np.ndarray, summary: ResidualSummary | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return window_rank_sign_sums(
        summarize_residuals(est_resid) if summary is None else summary, window_ar
    )


def rank_sign_day_sums(
    window_ar: np.ndarray, est_resid: np.ndarray, *, summary: ResidualSummary | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """:func:`rank_day_sums` and :func:`median_sign_day_sums` at once, from one merge of the
    window's ARs into each firm's sorted residuals."""
    ranks, signs, count = _window_sums(window_ar, est_resid, summary)
    return (ranks, count), (signs, count.copy())


def rank_from_sums(day_sums: np.ndarray, count: np.ndarray, *, window_days: int) -> TestResult:
    """:func:`corrado_rank_z` from :func:`rank_day_sums` (the last ``window_days`` days are
    the window's)."""
    null = "event-window ranks distributed as estimation-window ranks"
    has = count > 0
    per_count = 1.0 / (2.0 * (np.arange(day_sums.shape[1]) + 1.0))
    ubar = (day_sums @ per_count - 0.5 * count)[has] / count[has]
    in_window = has[has.size - window_days :]
    if not in_window.any():
        return z_result(_NAN, null)
    s_u = math.sqrt(float(np.mean(ubar * ubar)))
    if not s_u > 0:
        return z_result(_NAN, null)
    window_sum = float(ubar[ubar.size - int(in_window.sum()) :].sum())
    return z_result(window_sum / (math.sqrt(window_days) * s_u), null)


def estimation_rank_sums(
    est_resid: np.ndarray, *, summary: ResidualSummary | None = None
) -> np.ndarray:
    """``(L_est, L_est + 1)``: per estimation day and number ``L_i`` of a firm's valid
    residuals, ``sum_i 2 K_it`` over the firms with a value (exact integer sums).

    ``K_it`` is the rank (average ranks for ties) of firm i's residual on day t among its
    ``L_i`` valid residuals; GRANK-T scores it ``K_it / (L_i + 2)``. :func:`generalized_rank_t`
    adds one value per firm (the window) to these ranks; every window of a study shares them.
    ``summary``: the :func:`~analytics.study.significance.ranking.summarize_residuals` of
    ``est_resid`` when already known.
    """
    return (summarize_residuals(est_resid) if summary is None else summary).rank_sums


def corrado_zivney_sign_z(window_ar: np.ndarray, est_resid: np.ndarray) -> TestResult:
    """The Corrado-Zivney sign test in window form, p-value from the normal.

    Each firm's ``G_it = sign(A_it - median_i)``, the median over its ``T_i`` valid values
    (estimation residuals and window ARs together); ``Gbar_t = sum_i G_it / sqrt(N_t)`` over the
    ``N_t`` firms with a value on day t; ``S_G = sqrt(mean of Gbar_t² over estimation and window
    days)`` (days without a value skipped); ``Z = sum_{t in w} Gbar_t / (sqrt(L_w) S_G)``: the
    single-day statistic of Corrado and Zivney on a one-day window, cumulated over a longer one
    as Cowan (1992) cumulates the rank test.

    Parameters
    ----------
    window_ar
        ``(L_w, N)`` abnormal returns of the window's days.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Corrado and Zivney (1992), eq. (4)-(5); Cowan (1992), section 2.3.
    """
    w = np.asarray(window_ar, dtype=float)
    return median_sign_from_sums(*median_sign_day_sums(w, est_resid), window_days=w.shape[0])


def median_sign_day_sums(
    window_ar: np.ndarray, est_resid: np.ndarray, *, summary: ResidualSummary | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(L_est + L_w,)`` sums over firms of the Corrado-Zivney signs ``G_it`` per day, and the
    number of firms with a value that day (additive over disjoint sets of firms); ``summary`` as
    in :func:`rank_day_sums`."""
    _, signs, count = _window_sums(window_ar, est_resid, summary)
    return signs, count


def median_sign_from_sums(
    sign_sums: np.ndarray, count: np.ndarray, *, window_days: int
) -> TestResult:
    """:func:`corrado_zivney_sign_z` from :func:`median_sign_day_sums`."""
    null = "event-window ARs as often above their median as in the estimation window"
    has = count > 0
    gbar = sign_sums[has] / np.sqrt(count[has])
    in_window = has[has.size - window_days :]
    if not in_window.any():
        return z_result(_NAN, null)
    s_g = math.sqrt(float(np.mean(gbar * gbar)))
    if not s_g > 0:
        return z_result(_NAN, null)
    window_sum = float(gbar[gbar.size - int(in_window.sum()) :].sum())
    return z_result(window_sum / (math.sqrt(window_days) * s_g), null)


def generalized_rank_t(
    scar: np.ndarray,
    est_resid: np.ndarray,
    sigma: np.ndarray,
    *,
    summary: ResidualSummary | None = None,
) -> TestResult:
    """Kolari and Pynnönen's generalized rank t (GRANK-T) of a CAR window.

    The window collapses into one observation per firm, its re-standardized CAR
    ``SCAR*_i = SCAR_i / sd(SCAR)`` (cross-sectional sd, ddof 1); with the estimation SARs
    ``e_it / sigma_i`` it forms firm i's ``T_i = L_i + 1`` generalized SARs. Each firm ranks
    them (average ranks for ties): ``U_it = K_it / (T_i + 1) - 1/2``; ``Ubar_t`` is the mean
    over the ``n_t`` firms with a value on t (day 0: the window, ``n_0 = N``). With ``T`` the
    time points that have a value (estimation days and the window),
    ``S_U = sqrt(sum_t (n_t / N) Ubar_t² / T)``, ``Z = Ubar_0 / S_U`` and
    ``t = Z sqrt((T - 2) / (T - 1 - Z²))``, p from t with ``T - 2`` df. NaN with fewer than two
    firms, zero spread of the SCARs or of the ranks, a ``sigma_i`` that is not positive, or
    ``Z² >= T - 1``.

    Parameters
    ----------
    scar
        ``(N,)`` standardized CARs of the window.
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.
    sigma
        ``(N,)`` residual standard deviation of each firm's normal-return model.
    summary
        :func:`~analytics.study.significance.ranking.summarize_residuals` of ``est_resid`` when
        already known (every window of a study shares it); computed if None.

    References
    ----------
    Kolari and Pynnönen (2011), section 3, eq. (12)-(17).
    """
    e = np.asarray(est_resid, dtype=float)
    count = np.isfinite(e).sum(axis=1)
    spread = rank_spread(scar, sigma)
    if not spread > 0:
        return rank_t_from_sums(count, np.zeros((0, 0)), np.zeros(0), n=0)
    summary = summarize_residuals(e) if summary is None else summary
    level = (np.asarray(scar, dtype=float) / spread) * np.asarray(sigma, dtype=float)
    shifts, u_0 = rank_t_shift_sums(e, level, summary=summary)
    return rank_t_from_sums(count, summary.rank_sums + shifts, u_0, n=len(level))


def rank_spread(scar: np.ndarray, sigma: np.ndarray) -> float:
    """GRANK-T's ``sd(SCAR)`` (ddof 1); NaN when the test is undefined for these firms (fewer
    than two, a ``sigma_i`` that is not positive, or no spread)."""
    s = np.asarray(scar, dtype=float)
    if s.size < 2 or not np.all(np.asarray(sigma, dtype=float) > 0):
        return _NAN
    spread = float(np.std(s, ddof=1))
    return spread if spread > 0 else _NAN


def rank_t_window_sums(
    est_resid: np.ndarray, level: np.ndarray, *, summary: ResidualSummary | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """What adding each firm's window value (``level_i = SCAR*_i sigma_i``, in residual units)
    to its ranks adds to GRANK-T's estimation days, ``(L_est, L_est + 1)`` in the form of
    :func:`estimation_rank_sums`, and the window's ranks ``2 K_i0`` summed per ``L_i``,
    ``(L_est + 1,)``: additive over disjoint sets of firms once :func:`rank_spread` is known.

    A residual above ``g_i`` moves up one rank, one equal to it half a rank; compared in
    residual units (``g_i < e_it / sigma_i <=> g_i sigma_i < e_it``). ``summary``: the
    residuals' :func:`~analytics.study.significance.ranking.summarize_residuals` when known.
    """
    return rank_t_shift_sums(est_resid, level, summary=summary)


def rank_t_from_sums(
    count: np.ndarray, ranks: np.ndarray, window: np.ndarray, *, n: int
) -> TestResult:
    """GRANK-T from the per-day firm counts, the ranks of the estimation days
    (:func:`estimation_rank_sums` plus :func:`rank_t_window_sums`) and the window's ranks over
    its ``n`` firms; ``n = 0`` when :func:`rank_spread` is NaN."""
    null = "generalized ranks of the window distributed as estimation-window ranks"
    has = count > 0
    days = int(has.sum()) + 1
    if n < 2:
        return t_result(_NAN, days - 2, null)
    # U = K / (L_i + 2) - 1/2 (K among L_i + 1 values): the weight of each L_i's sum of 2 K.
    weight = 1.0 / (2.0 * (np.arange(ranks.shape[1]) + 2.0))
    u_est = ranks @ weight - 0.5 * count
    u_0 = float(window @ weight) - 0.5 * n
    ubar = np.append(u_est[has] / count[has], u_0 / n)
    weights = np.append(count[has] / n, 1.0)
    s_u = math.sqrt(float(np.sum(weights * ubar * ubar)) / days)
    if not s_u > 0:
        return t_result(_NAN, days - 2, null)
    z = float(ubar[-1]) / s_u
    rest = days - 1 - z * z
    if days < 3 or not rest > 0:
        return t_result(_NAN, days - 2, null)
    return t_result(z * math.sqrt((days - 2) / rest), days - 2, null)


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
    if c.size > _WILCOXON_EXACT_MAX and np.isfinite(c).all():
        return _wilcoxon_normal(c, null)
    result = stats.wilcoxon(c)
    return TestResult(stat=float(result.statistic), pvalue=float(result.pvalue), null=null)


_WILCOXON_EXACT_MAX = 50
"""Up to this many values scipy's ``method="auto"`` may use the exact or permutation law."""


def _wilcoxon_normal(c: np.ndarray, null: str) -> TestResult:
    """``scipy.stats.wilcoxon(c)`` for more than 50 finite values, where scipy takes its normal
    approximation: the same formulas, without its per-call input handling (0.6 ms)."""
    d = c[c != 0]  # zero_method="wilcox"
    count = float(d.size)
    ranks = stats.rankdata(np.abs(d))
    _, ties = np.unique(np.abs(d), return_counts=True)
    r_plus = float(ranks[d > 0].sum())
    r_minus = float(ranks[d < 0].sum())
    mean = count * (count + 1.0) * 0.25
    variance = count * (count + 1.0) * (2.0 * count + 1.0)
    se = math.sqrt((variance - float((ties.astype(float) ** 3 - ties).sum()) / 2) / 24)
    z = (r_plus - mean) / se
    return TestResult(
        stat=min(r_plus, r_minus), pvalue=float(2.0 * special.ndtr(-abs(z))), null=null
    )
