"""Every test of one event window at once (:func:`window_tests`), as the engine runs them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from analytics.study.significance.nonparametric import (
    corrado_rank_z,
    generalized_sign_z,
    wilcoxon_test,
)
from analytics.study.significance.parametric import (
    bmp_t,
    cross_sectional_t,
    kolari_pynnonen,
    patell_z,
    portfolio_t,
)
from analytics.study.significance.testresult import TestResult

__all__ = ["CROSS_SECTIONAL_TESTS", "FEW_FIRMS", "window_tests"]

FEW_FIRMS = 10
"""A window with fewer included firms than this makes :data:`CROSS_SECTIONAL_TESTS` unreliable."""
CROSS_SECTIONAL_TESTS: tuple[str, ...] = (
    "cs_t",
    "patell_z",
    "bmp_t",
    "kp_bmp_t",
    "gen_sign_z",
    "wilcoxon",
)
"""Tests whose null distribution rests on the spread or count across firms (a t, normal or
signed-rank law in N): with a handful of firms their statistics and p-values mean little (BMP
t = −51 from two firms). The portfolio t and Corrado's rank Z standardize by the estimation
period's time series instead, and the placebo is empirical."""


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
