"""Every test of one event window at once (:func:`window_tests`), as the engine runs them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

import numpy as np

from analytics.study.significance.bootstrap import BOOTSTRAP_DRAWS, wild_bootstrap
from analytics.study.significance.correlation import mean_pairwise_correlation
from analytics.study.significance.nonparametric import (
    corrado_rank_z,
    corrado_zivney_sign_z,
    generalized_rank_t,
    generalized_sign_z,
    wilcoxon_test,
)
from analytics.study.significance.parametric import (
    adjusted_patell_z,
    bmp_t,
    cross_sectional_t,
    kolari_pynnonen,
    patell_z,
    portfolio_t,
    skewness_corrected_t,
)
from analytics.study.significance.testresult import TestResult

__all__ = ["CROSS_SECTIONAL_TESTS", "FEW_FIRMS", "TEST_NOTES", "WINDOW_TESTS", "window_tests"]

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
    rank_sums: np.ndarray | None = None,
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
    rank_sums
        :func:`~analytics.study.significance.nonparametric.estimation_rank_sums` of ``est_resid``
        when already known; computed if None.
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
    counts = np.isfinite(e).sum(axis=0)
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
    skew = (
        skewness_corrected_t(bhar)
        if bhar is not None
        else TestResult(stat=float("nan"), pvalue=float("nan"), null="mean BHAR = 0")
    )
    tests = {
        "cs_t": cross_sectional_t(c),
        "patell_z": patell_z(scar, dof),
        "adj_patell_z": adjusted_patell_z(scar, dof, e, rbar=rbar),
        "bmp_t": bmp_t(scar),
        "kp_bmp_t": kolari_pynnonen(scar, e, rbar=rbar),
        "skew_t": skew,
        "boot_p": wild_bootstrap(c, draws=bootstrap, seed=seed),
        "portfolio_t": portfolio_t(w, e),
        "gen_sign_z": generalized_sign_z(c, e),
        "cz_sign_z": corrado_zivney_sign_z(w, e),
        "corrado_z": corrado_rank_z(w, e),
        "grank_t": generalized_rank_t(scar, e, sigma, rank_sums=rank_sums),
        "wilcoxon": wilcoxon_test(c),
    }
    return {name: replace(test, name=name) for name, test in tests.items()}
