"""Cross-sectional significance tests of an event study, for one event window.

Every test follows the conventions of ``DESIGN.md`` ("Conventions of the event study"). Arrays
hold firms in columns: ``est_resid`` is ``(L_est, N)`` with estimation-window residuals aligned by
relative day (NaN where a firm has no return that day) and ``window_ar`` is ``(L_w, N)``.

Degenerate inputs (too few firms, zero variance, an undefined probability) give a
:class:`TestResult` whose ``stat`` and ``pvalue`` are NaN; no warning is emitted. P-values are
two-sided.

References
----------
Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). Event-study methodology under conditions of
    event-induced variance. *Journal of Financial Economics* 30(2), 253-272.
Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: the case of event studies.
    *Journal of Financial Economics* 14(1), 3-31.
Corrado, C. J. (1989). A nonparametric test for abnormal security-price performance in event
    studies. *Journal of Financial Economics* 23(2), 385-395.
Cowan, A. R. (1992). Nonparametric event study tests. *Review of Quantitative Finance and
    Accounting* 2(4), 343-358.
Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional correlation of
    abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price behavior:
    empirical tests. *Journal of Accounting Research* 14(2), 246-276.
Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin* 1(6), 80-83.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

__all__ = [
    "TestResult",
    "bmp_t",
    "corrado_rank_z",
    "cross_sectional_t",
    "generalized_sign_z",
    "kolari_pynnonen",
    "mean_pairwise_correlation",
    "patell_z",
    "portfolio_t",
    "wilcoxon_test",
    "window_tests",
]

_NAN = float("nan")
# A variance over common days below this share of the sum of squares is treated as zero: it is
# rounding left over from a series that is constant on those days.
_REL_ZERO_VARIANCE = 1e-13
_BLOCK_SIZE = 256
# Patterns of valid days grouped by mean_pairwise_correlation (memory G² L floats).
_MAX_GROUPS = 256


@dataclass(frozen=True)
class TestResult:
    """The outcome of one hypothesis test.

    Attributes
    ----------
    stat
        The test statistic (NaN when the test is undefined for the input).
    pvalue
        Two-sided p-value (NaN when ``stat`` is NaN).
    null
        The null hypothesis in words.
    alternative
        Always ``"two-sided"`` here.
    df
        Degrees of freedom of the reference t distribution; ``None`` for normal and exact tests.
    name
        The test's short name (``"cs_t"``, ``"patell_z"``, ..., ``"placebo"``).
    k
        Draws behind an empirical p-value (the placebo test); ``None`` for the others.
    """

    __test__ = False  # not a pytest test class, despite the name

    stat: float
    pvalue: float
    null: str
    alternative: str = "two-sided"
    df: float | None = None
    name: str = ""
    k: int | None = None


def _t_result(stat: float, df: float, null: str) -> TestResult:
    if not (math.isfinite(stat) and df >= 1):
        return TestResult(stat=_NAN, pvalue=_NAN, null=null, df=df if df >= 1 else None)
    pvalue = float(2.0 * stats.t.sf(abs(stat), df))
    return TestResult(stat=float(stat), pvalue=pvalue, null=null, df=float(df))


def _z_result(stat: float, null: str) -> TestResult:
    if not math.isfinite(stat):
        return TestResult(stat=_NAN, pvalue=_NAN, null=null)
    return TestResult(stat=float(stat), pvalue=float(2.0 * stats.norm.sf(abs(stat))), null=null)


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
    return _t_result(_mean_over_sd(x), x.size - 1, "CAAR = 0")


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
        return _z_result(_NAN, null)
    return _z_result(float(s.sum()) / math.sqrt(float(np.sum(d / (d - 2.0)))), null)


def bmp_t(scar: np.ndarray) -> TestResult:
    """Boehmer-Musumeci-Poulsen standardized cross-sectional t: ``mean(SCAR) / (sd(SCAR)/sqrt N)``.

    ddof 1, p from t with ``N - 1`` df.

    References
    ----------
    Boehmer, Musumeci and Poulsen (1991).
    """
    s = np.asarray(scar, dtype=float)
    return _t_result(_mean_over_sd(s), s.size - 1, "mean SCAR = 0")


def _correlation_sums(
    n: np.ndarray,
    sx_r: np.ndarray,
    sx_c: np.ndarray,
    sxx_r: np.ndarray,
    sxx_c: np.ndarray,
    cross: np.ndarray,
    pair: np.ndarray,
) -> tuple[float, int]:
    """Sum and count of the defined correlations among ``pair`` from common-day sums.

    Arguments broadcast to ``(rows, columns)``: common days ``n``, sums of each firm's residuals
    (``sx``) and squares (``sxx``) over them, and the cross-product sums ``cross``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        var_r = sxx_r - sx_r * sx_r / n
        var_c = sxx_c - sx_c * sx_c / n
        cov = cross - sx_r * sx_c / n
        keep = (
            pair
            & (n >= 2)
            & (var_r > _REL_ZERO_VARIANCE * sxx_r)
            & (var_c > _REL_ZERO_VARIANCE * sxx_c)
        )
        corr = cov[keep] / np.sqrt((var_r * var_c)[keep])
    return float(corr.sum()), int(keep.sum())


def _patterns(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns of a ``(L, N)`` boolean array as ``(G, L)`` rows, and each column's row.

    Columns are packed into 64-bit words and sorted with ``lexsort``: much faster than
    ``np.unique(axis=...)``, which compares rows of booleans as opaque bytes.
    """
    n_firms = valid.shape[1]
    packed = np.packbits(valid, axis=0)
    padded = np.zeros((-(-packed.shape[0] // 8) * 8, n_firms), dtype=np.uint8)
    padded[: packed.shape[0]] = packed
    words = np.ascontiguousarray(padded.T).view(np.uint64)
    order = np.lexsort(words.T)
    ordered = words[order]
    starts = np.ones(n_firms, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    pattern_of = np.empty(n_firms, dtype=np.intp)
    pattern_of[order] = np.cumsum(starts) - 1
    return valid[:, order[starts]].T, pattern_of


def _grouped_sums(
    centred: np.ndarray, days: np.ndarray, members: list[np.ndarray]
) -> tuple[float, int]:
    """Sum and count of the correlations among firms grouped by their pattern of valid days.

    ``days`` is ``(L, G)``: group g's valid days. A firm i of group g paired with any firm of
    group h shares the days ``c = days_g & days_h``, so its common-day sums ``s_ih``, ``q_ih``
    and weight ``w_ih = 1 / sqrt(q_ih - s_ih² / n_gh)`` depend on h only, and the sum of the
    pairs' correlations ``Σ_ij (x_i·x_j - s_ih s_jg / n_gh) w_ih w_jg`` factors into
    ``A_gh · A_hg - B_gh B_hg / n_gh`` with ``A_gh = Σ_i w_ih x_i`` and ``B_gh = Σ_i w_ih s_ih``
    (``x_i`` is zero off its valid days). Within a group, pairs i < j are half the square of
    the sums less the diagonal.
    """
    n_days, n_groups = days.shape
    common = days.T @ days
    a = np.zeros((n_groups, n_groups, n_days))
    b = np.zeros((n_groups, n_groups))
    kept = np.zeros((n_groups, n_groups))
    self_a = np.zeros(n_groups)
    self_b = np.zeros(n_groups)
    for g, firms in enumerate(members):
        xg = centred[:, firms]
        s = xg.T @ days
        q = (xg * xg).T @ days
        with np.errstate(divide="ignore", invalid="ignore"):
            var = q - s * s / common[g]
            keep = (common[g] >= 2) & (var > _REL_ZERO_VARIANCE * q)
            w = np.where(keep, 1.0 / np.sqrt(np.where(keep, var, 1.0)), 0.0)
        a[g] = (xg @ w).T
        b[g] = (s * w).sum(axis=0)
        kept[g] = keep.sum(axis=0)
        self_a[g] = float(np.sum(q[:, g] * w[:, g] ** 2))
        self_b[g] = float(np.sum((s[:, g] * w[:, g]) ** 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = np.einsum("ghl,hgl->gh", a, a) - np.where(common > 0, b * b.T / common, 0.0)
    upper = np.triu_indices(n_groups, k=1)
    total = float(sums[upper].sum())
    pairs = int((kept * kept.T)[upper].sum())
    diagonal = np.arange(n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        within = 0.5 * (
            np.einsum("gl,gl->g", a[diagonal, diagonal], a[diagonal, diagonal])
            - self_a
            - np.where(np.diag(common) > 0, (np.diag(b) ** 2 - self_b) / np.diag(common), 0.0)
        )
    own = np.diag(kept)
    return total + float(within.sum()), pairs + int((own * (own - 1) // 2).sum())


def mean_pairwise_correlation(est_resid: np.ndarray) -> float:
    """Mean pairwise correlation of firms' residuals, each pair over its common days.

    The pairwise-complete definition: for firms i < j, the Pearson correlation of their residuals
    over the days where both have one (means taken over those days). Pairs with fewer than two
    common days or zero variance on them are left out; NaN when no pair is left.

    Real panels have few patterns of valid days (every day; every day since a listing), so
    firms are grouped by pattern: for the up to ``_MAX_GROUPS`` largest patterns shared by
    several firms, the correlations of all pairs between or within two groups sum to a few dot
    products of weighted group sums (see :func:`_grouped_sums`), in time O(L N G). Firms with a
    pattern of their own are paired with every later firm by masked matrix products in blocks
    of rows: memory O(block * N), time O(L N_single N). Both parts are exact; no N x N matrix
    is formed.

    Parameters
    ----------
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Kolari and Pynnönen (2010), section 2.
    """
    x = np.asarray(est_resid, dtype=float)
    valid = np.isfinite(x)
    count = valid.sum(axis=0)
    filled = np.where(valid, x, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    # Centring limits cancellation in the sums of squares below; a firm constant over all its
    # days becomes exactly zero so every pair with it is left out.
    hi = np.where(valid, x, -np.inf).max(axis=0, initial=-np.inf)
    lo = np.where(valid, x, np.inf).min(axis=0, initial=np.inf)
    centred = np.where(valid & (hi > lo), x - mean, 0.0)

    patterns, pattern_of = _patterns(valid)
    sizes = np.bincount(pattern_of, minlength=len(patterns))
    largest = np.argsort(-sizes, kind="stable")
    grouped = largest[sizes[largest] >= 2][:_MAX_GROUPS]
    members = [np.flatnonzero(pattern_of == g) for g in grouped]
    total, pairs = _grouped_sums(centred, patterns[grouped].T.astype(float), members)

    in_group = np.isin(pattern_of, grouped)
    order = np.concatenate([np.flatnonzero(~in_group), np.flatnonzero(in_group)])
    n_single = int((~in_group).sum())
    xo = centred[:, order]
    mo = valid[:, order].astype(float)
    xo2 = xo * xo
    for start in range(0, n_single, _BLOCK_SIZE):
        stop = min(start + _BLOCK_SIZE, n_single)
        rows, rows2, mrows = xo[:, start:stop], xo2[:, start:stop], mo[:, start:stop]
        cols, cols2, mcols = xo[:, start:], xo2[:, start:], mo[:, start:]
        later = np.arange(cols.shape[1])[None, :] > np.arange(stop - start)[:, None]
        part_total, part_pairs = _correlation_sums(
            mrows.T @ mcols,
            rows.T @ mcols,
            mrows.T @ cols,
            rows2.T @ mcols,
            mrows.T @ cols2,
            rows.T @ cols,
            later,
        )
        total += part_total
        pairs += part_pairs
    return total / pairs if pairs else _NAN


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
    denominator = 1.0 + (s.size - 1) * r
    if not denominator > 0:
        return _t_result(_NAN, s.size - 1, null)
    return _t_result(_mean_over_sd(s) * math.sqrt((1.0 - r) / denominator), s.size - 1, null)


def _daily_means(values: np.ndarray) -> np.ndarray:
    """Mean over firms of each day (row) that has a value; days without one are dropped."""
    valid = np.isfinite(values)
    count = valid.sum(axis=1)
    sums = np.where(valid, values, 0.0).sum(axis=1)
    has = count > 0
    return sums[has] / count[has]


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
    aar_est = _daily_means(np.asarray(est_resid, dtype=float))
    days = aar_est.size
    null = "CAAR = 0 (portfolio of the firms)"
    aar_w = _daily_means(w)
    if days < 2 or aar_w.size == 0:
        return _t_result(_NAN, days - 1, null)
    sd = float(np.std(aar_est, ddof=1))
    if not sd > 0:
        return _t_result(_NAN, days - 1, null)
    return _t_result(float(aar_w.sum()) / (math.sqrt(w.shape[0]) * sd), days - 1, null)


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
        return _z_result(_NAN, null)
    p = float(np.mean((e[:, has] > 0).sum(axis=0) / valid[has]))
    if not 0 < p < 1:
        return _z_result(_NAN, null)
    n = c.size
    w = int((c > 0).sum())
    return _z_result((w - n * p) / math.sqrt(n * p * (1.0 - p)), null)


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
        return _z_result(_NAN, null)
    s_u = math.sqrt(float(np.mean(ubar * ubar)))
    if not s_u > 0:
        return _z_result(_NAN, null)
    window_sum = float(ubar[ubar.size - int(in_window.sum()) :].sum())
    return _z_result(window_sum / (math.sqrt(w.shape[0]) * s_u), null)


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
        return _z_result(_NAN, null)
    result = stats.wilcoxon(c)
    return TestResult(stat=float(result.statistic), pvalue=float(result.pvalue), null=null)


def window_tests(
    *,
    car: np.ndarray,
    scar: np.ndarray,
    dof: np.ndarray,
    est_resid: np.ndarray,
    window_ar: np.ndarray,
    est_n: np.ndarray,
    rbar: float | None = None,
) -> dict[str, TestResult]:
    """Every cross-sectional test of one event window over its N included firms.

    Parameters
    ----------
    car, scar
        ``(N,)`` CARs and standardized CARs.
    dof
        ``(N,)`` residual degrees of freedom (``L_i - k - 1``; ``L_i - 2`` for the market model).
    est_resid
        ``(L_est, N)`` estimation-window residuals aligned by relative day, NaN where missing.
    window_ar
        ``(L_w, N)`` abnormal returns of the window's days.
    est_n
        ``(N,)`` valid estimation returns ``L_i``; must equal each column's count of residuals
        (a residual filled with 0 instead of NaN would bias the sign and rank tests).
    rbar
        :func:`mean_pairwise_correlation` of ``est_resid`` when already known; computed if None.

    Returns
    -------
    dict
        Keys ``cs_t``, ``patell_z``, ``bmp_t``, ``kp_bmp_t``, ``portfolio_t``, ``gen_sign_z``,
        ``corrado_z``, ``wilcoxon``.

    Raises
    ------
    ValueError
        If the shapes disagree or ``est_n`` does not match ``est_resid``.
    """
    c = np.asarray(car, dtype=float)
    n = c.size
    e = np.asarray(est_resid, dtype=float)
    w = np.asarray(window_ar, dtype=float)
    shapes = {
        "scar": np.shape(scar),
        "dof": np.shape(dof),
        "est_n": np.shape(est_n),
    }
    bad = {k: v for k, v in shapes.items() if v != (n,)}
    if bad or e.ndim != 2 or w.ndim != 2 or e.shape[1] != n or w.shape[1] != n:
        raise ValueError(
            f"window_tests: inconsistent shapes for {n} firms: car {c.shape}, {shapes}, "
            f"est_resid {e.shape}, window_ar {w.shape}; expected (N,) and (days, N)"
        )
    counts = np.isfinite(e).sum(axis=0)
    if not np.array_equal(counts, np.asarray(est_n)):
        firm = int(np.flatnonzero(counts != np.asarray(est_n))[0])
        raise ValueError(
            f"window_tests: est_n[{firm}] = {np.asarray(est_n)[firm]} but est_resid column "
            f"{firm} has {counts[firm]} residuals; missing days must be NaN"
        )
    tests = {
        "cs_t": cross_sectional_t(c),
        "patell_z": patell_z(scar, dof),
        "bmp_t": bmp_t(scar),
        "kp_bmp_t": kolari_pynnonen(scar, e, rbar=rbar),
        "portfolio_t": portfolio_t(w, e),
        "gen_sign_z": generalized_sign_z(c, e),
        "corrado_z": corrado_rank_z(w, e),
        "wilcoxon": wilcoxon_test(c),
    }
    return {name: replace(test, name=name) for name, test in tests.items()}
