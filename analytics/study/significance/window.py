"""Every test of one event window at once (:func:`window_tests`), as the engine runs them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np

from analytics.study.significance.bootstrap import BOOTSTRAP_DRAWS, wild_bootstrap
from analytics.study.significance.correlation import mean_pairwise_correlation
from analytics.study.significance.nonparametric import (
    median_sign_from_sums,
    rank_from_sums,
    rank_sign_day_sums,
    rank_spread,
    rank_t_from_sums,
    rank_t_window_sums,
    sign_from_shares,
    wilcoxon_test,
)
from analytics.study.significance.parametric import (
    adjusted_patell_z,
    bmp_t,
    cross_sectional_t,
    day_sums,
    kolari_pynnonen,
    patell_z,
    portfolio_from_sums,
    skewness_corrected_t,
)
from analytics.study.significance.ranking import ResidualSummary, summarize_residuals
from analytics.study.significance.testresult import TestResult

__all__ = [
    "CROSS_SECTIONAL_TESTS",
    "FEW_FIRMS",
    "TEST_NOTES",
    "WINDOW_TESTS",
    "WindowSums",
    "combine_sums",
    "window_sums",
    "window_tests",
    "window_tests_from_sums",
]

FEW_FIRMS = 10
"""A window with fewer included firms than this makes :data:`CROSS_SECTIONAL_TESTS` unreliable."""
WINDOW_TESTS: tuple[str, ...] = (
    "cs_t",
    "patell_z",
    "adj_patell_z",
    "bmp_t",
    "kp_bmp_t",
    "skew_t",
    "boot_p",
    "portfolio_t",
    "gen_sign_z",
    "cz_sign_z",
    "corrado_z",
    "grank_t",
    "wilcoxon",
)
"""Names of the tests :func:`window_tests` runs, in the order it returns them."""
TEST_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "cs_t": "CAAR over its cross-sectional standard error (Brown & Warner 1985)",
        "patell_z": "sum of SCARs over its null spread, firms independent (Patell 1976)",
        "adj_patell_z": "Patell Z adjusted for the mean residual correlation r (ARC; Kolari & "
        "Pynnönen 2010)",
        "bmp_t": "mean SCAR over its cross-sectional standard error; robust to event-induced "
        "variance (Boehmer, Musumeci & Poulsen 1991)",
        "kp_bmp_t": "BMP t adjusted for the mean residual correlation r (Kolari & Pynnönen 2010)",
        "skew_t": "t of the mean BHAR corrected for skewness (Hall 1992; Lyon, Barber & Tsai "
        "1999; as Stata eventstudy2)",
        "boot_p": "cross-sectional t with a wild bootstrap p: Rademacher sign flips of the "
        "centred CARs (seeded; stat is the t)",
        "portfolio_t": "CAAR over the estimation-period spread of the daily average AR (Brown "
        "& Warner 1985, crude dependence)",
        "gen_sign_z": "share of positive CARs against the estimation-period share (Cowan 1992)",
        "cz_sign_z": "signs of ARs around each firm's median, cumulated over the window "
        "(Corrado & Zivney 1992)",
        "corrado_z": "ranks of the window's ARs among the estimation residuals (Corrado 1989; "
        "Cowan 1992)",
        "grank_t": "rank of each firm's re-standardized SCAR among its estimation SARs "
        "(GRANK-T, Kolari & Pynnönen 2011)",
        "wilcoxon": "signed ranks of the CARs around zero (Wilcoxon 1945)",
    }
)
"""One line on each test of :data:`WINDOW_TESTS`: what it measures and its reference."""
CROSS_SECTIONAL_TESTS: tuple[str, ...] = (
    "cs_t",
    "patell_z",
    "adj_patell_z",
    "bmp_t",
    "kp_bmp_t",
    "skew_t",
    "boot_p",
    "gen_sign_z",
    "wilcoxon",
)
"""Tests whose null distribution rests on the spread or count across firms (a t, normal or
signed-rank law in N, or its bootstrap): with a handful of firms their statistics and p-values
mean little (BMP t = −51 from two firms). The portfolio t, the Corrado-Zivney sign Z, Corrado's
rank Z and GRANK-T standardize by the estimation period's time series instead, and the placebo
is empirical."""


def window_tests(
    *,
    car: np.ndarray,
    scar: np.ndarray,
    dof: np.ndarray,
    est_resid: np.ndarray,
    window_ar: np.ndarray,
    est_n: np.ndarray,
    rbar: float | None = None,
    bhar: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    summary: ResidualSummary | None = None,
    bootstrap: int = BOOTSTRAP_DRAWS,
    seed: int | None = 0,
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
    bhar
        ``(N,)`` buy-and-hold abnormal returns for the skewness-corrected t; without them
        ``skew_t`` is NaN.
    sigma
        ``(N,)`` residual standard deviations (GRANK-T's estimation SARs ``e / sigma``); if
        None, ``sqrt(sum e² / dof)``, the OLS identity.
    summary
        :func:`~analytics.study.significance.ranking.summarize_residuals` of ``est_resid`` when
        already known (the rank and sign tests read it); computed if None.
    bootstrap, seed
        Draws B and seed of the wild bootstrap (``boot_p``); ``bootstrap=0`` switches it off.

    Returns
    -------
    dict
        Keys :data:`WINDOW_TESTS`, in that order.

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
        **({} if bhar is None else {"bhar": np.shape(bhar)}),
        **({} if sigma is None else {"sigma": np.shape(sigma)}),
    }
    bad = {k: v for k, v in shapes.items() if v != (n,)}
    if bad or e.ndim != 2 or w.ndim != 2 or e.shape[1] != n or w.shape[1] != n:
        raise ValueError(
            f"window_tests: inconsistent shapes for {n} firms: car {c.shape}, {shapes}, "
            f"est_resid {e.shape}, window_ar {w.shape}; expected (N,) and (days, N)"
        )
    summary = summarize_residuals(e) if summary is None else summary
    counts = summary.n_valid  # each column's residuals
    if not np.array_equal(counts, np.asarray(est_n)):
        firm = int(np.flatnonzero(counts != np.asarray(est_n))[0])
        raise ValueError(
            f"window_tests: est_n[{firm}] = {np.asarray(est_n)[firm]} but est_resid column "
            f"{firm} has {counts[firm]} residuals; missing days must be NaN"
        )
    if rbar is None:
        rbar = mean_pairwise_correlation(e)
    if sigma is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma = np.sqrt(np.nansum(e * e, axis=0) / np.asarray(dof, dtype=float))
    sums = window_sums(
        car=c, scar=scar, dof=dof, bhar=bhar, sigma=sigma, est_resid=e, window_ar=w,
        summary=summary,
    )  # fmt: skip
    spread = rank_spread(scar, sigma)
    level = np.asarray(scar) / spread * sigma
    shift = rank_t_window_sums(e, level, summary=summary) if spread > 0 else None
    return window_tests_from_sums(sums, rbar=rbar, rank_shift=shift, bootstrap=bootstrap, seed=seed)


@dataclass(frozen=True, eq=False)
class WindowSums:
    """What :func:`window_tests_from_sums` needs of one window's firms: per-firm values, which
    chunks of firms concatenate, and per-day sums, which they add (:func:`combine_sums`). Every
    window test is a function of these, the mean residual correlation ``r`` and GRANK-T's
    window ranks, so the out-of-core engine gets the in-memory statistics chunk by chunk."""

    car: np.ndarray
    scar: np.ndarray
    dof: np.ndarray
    bhar: np.ndarray | None
    sigma: np.ndarray
    shares: np.ndarray  # positive_shares
    window_days: int
    estimation: tuple[np.ndarray, np.ndarray]  # day_sums of the estimation residuals
    window: tuple[np.ndarray, np.ndarray]  # day_sums of the window's ARs
    ranks: tuple[np.ndarray, np.ndarray]  # rank_day_sums
    signs: tuple[np.ndarray, np.ndarray]  # median_sign_day_sums
    rank_sums: np.ndarray  # estimation_rank_sums


def window_sums(
    *,
    car: np.ndarray,
    scar: np.ndarray,
    dof: np.ndarray,
    bhar: np.ndarray | None,
    sigma: np.ndarray,
    est_resid: np.ndarray,
    window_ar: np.ndarray,
    summary: ResidualSummary | None = None,
) -> WindowSums:
    """The :class:`WindowSums` of a set of firms (arguments as :func:`window_tests`)."""
    e = np.asarray(est_resid, dtype=float)
    w = np.asarray(window_ar, dtype=float)
    summary = summarize_residuals(e) if summary is None else summary
    ranks, signs = rank_sign_day_sums(w, e, summary=summary)
    return WindowSums(
        car=np.asarray(car, dtype=float),
        scar=np.asarray(scar, dtype=float),
        dof=np.asarray(dof, dtype=float),
        bhar=None if bhar is None else np.asarray(bhar, dtype=float),
        sigma=np.asarray(sigma, dtype=float),
        shares=summary.shares,
        window_days=w.shape[0],
        estimation=summary.day_sums,
        window=day_sums(w),
        ranks=ranks,
        signs=signs,
        rank_sums=summary.rank_sums,
    )


def combine_sums(parts: list[WindowSums]) -> WindowSums:
    """The :class:`WindowSums` of the union of disjoint sets of firms of the same window."""

    def cat(values: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(values)

    def add(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)  # type: ignore[return-value]

    bhars = [p.bhar for p in parts]
    return WindowSums(
        car=cat([p.car for p in parts]),
        scar=cat([p.scar for p in parts]),
        dof=cat([p.dof for p in parts]),
        bhar=None if any(b is None for b in bhars) else cat(bhars),  # type: ignore[arg-type]
        sigma=cat([p.sigma for p in parts]),
        shares=cat([p.shares for p in parts]),
        window_days=parts[0].window_days,
        estimation=add([p.estimation for p in parts]),
        window=add([p.window for p in parts]),
        ranks=add([p.ranks for p in parts]),
        signs=add([p.signs for p in parts]),
        rank_sums=sum(p.rank_sums for p in parts),  # type: ignore[arg-type]
    )


def window_tests_from_sums(
    sums: WindowSums,
    *,
    rbar: float,
    rank_shift: tuple[np.ndarray, np.ndarray] | None,
    bootstrap: int = BOOTSTRAP_DRAWS,
    seed: int | None = 0,
) -> dict[str, TestResult]:
    """Every test of :func:`window_tests` from the window's :class:`WindowSums`, the mean
    residual correlation ``rbar`` and GRANK-T's :func:`rank_t_window_sums` (None when
    :func:`rank_spread` is NaN)."""
    c, scar, dof = sums.car, sums.scar, sums.dof
    n = c.size
    no_resid = np.empty((0, n))
    skew = (
        skewness_corrected_t(sums.bhar)
        if sums.bhar is not None
        else TestResult(stat=float("nan"), pvalue=float("nan"), null="mean BHAR = 0")
    )
    count = sums.estimation[1]
    grank = (
        rank_t_from_sums(count, np.zeros((0, 0)), np.zeros(0), n=0)
        if rank_shift is None
        else rank_t_from_sums(count, sums.rank_sums + rank_shift[0], rank_shift[1], n=n)
    )
    days = sums.window_days
    tests = {
        "cs_t": cross_sectional_t(c),
        "patell_z": patell_z(scar, dof),
        "adj_patell_z": adjusted_patell_z(scar, dof, no_resid, rbar=rbar),
        "bmp_t": bmp_t(scar),
        "kp_bmp_t": kolari_pynnonen(scar, no_resid, rbar=rbar),
        "skew_t": skew,
        "boot_p": wild_bootstrap(c, draws=bootstrap, seed=seed),
        "portfolio_t": portfolio_from_sums(sums.estimation, sums.window, window_days=days),
        "gen_sign_z": sign_from_shares(c, sums.shares),
        "cz_sign_z": median_sign_from_sums(*sums.signs, window_days=days),
        "corrado_z": rank_from_sums(*sums.ranks, window_days=days),
        "grank_t": grank,
        "wilcoxon": wilcoxon_test(c),
    }
    return {name: replace(test, name=name) for name, test in tests.items()}
