"""Significance tests of an event study, for one event window.

Every test follows the conventions of ``DESIGN.md`` ("Conventions of the event study"). Arrays
hold firms in columns: ``est_resid`` is ``(L_est, N)`` with estimation-window residuals aligned by
relative day (NaN where a firm has no return that day) and ``window_ar`` is ``(L_w, N)``.

Degenerate inputs (too few firms, zero variance, an undefined probability) give a
:class:`TestResult` whose ``stat`` and ``pvalue`` are NaN; no warning is emitted. P-values are
two-sided.

Modules: :mod:`~analytics.study.significance.testresult` (:class:`TestResult`),
:mod:`~analytics.study.significance.parametric` (cross-sectional t, Patell and its
Kolari-Pynnönen adjustment, BMP and its adjustment, skewness-corrected t, portfolio t),
:mod:`~analytics.study.significance.correlation` (the mean pairwise residual correlation),
:mod:`~analytics.study.significance.nonparametric` (generalized sign, Corrado-Zivney sign,
Corrado rank, GRANK-T, Wilcoxon) over :mod:`~analytics.study.significance.ranking` (what every
window reads of the estimation residuals, summarized once, and the rank and sign loops, compiled
with numba),
:mod:`~analytics.study.significance.bootstrap` (the wild bootstrap of CAAR) and
:mod:`~analytics.study.significance.window` (:func:`window_tests`, all of them for one window).

May import: the standard library, numpy, scipy and numba; nothing else of ``analytics``, never
``app``.

References
----------
Boehmer, E., Musumeci, J. and Poulsen, A. B. (1991). Event-study methodology under conditions of
    event-induced variance. *Journal of Financial Economics* 30(2), 253-272.
Brown, S. J. and Warner, J. B. (1985). Using daily stock returns: the case of event studies.
    *Journal of Financial Economics* 14(1), 3-31.
Corrado, C. J. (1989). A nonparametric test for abnormal security-price performance in event
    studies. *Journal of Financial Economics* 23(2), 385-395.
Corrado, C. J. and Zivney, T. L. (1992). The specification and power of the sign test in event
    study hypothesis tests using daily stock returns. *Journal of Financial and Quantitative
    Analysis* 27(3), 465-478.
Cowan, A. R. (1992). Nonparametric event study tests. *Review of Quantitative Finance and
    Accounting* 2(4), 343-358.
Davidson, R. and Flachaire, E. (2008). The wild bootstrap, tamed at last. *Journal of
    Econometrics* 146(1), 162-169.
Hall, P. (1992). On the removal of skewness by transformation. *Journal of the Royal Statistical
    Society B* 54(1), 221-228.
Kolari, J. W. and Pynnönen, S. (2010). Event study testing with cross-sectional correlation of
    abnormal returns. *Review of Financial Studies* 23(11), 3996-4025.
Kolari, J. W. and Pynnönen, S. (2011). Nonparametric rank tests for event studies. *Journal of
    Empirical Finance* 18(5), 953-971.
Lyon, J. D., Barber, B. M. and Tsai, C.-L. (1999). Improved methods for tests of long-run
    abnormal stock returns. *Journal of Finance* 54(1), 165-201.
Patell, J. M. (1976). Corporate forecasts of earnings per share and stock price behavior:
    empirical tests. *Journal of Accounting Research* 14(2), 246-276.
Wilcoxon, F. (1945). Individual comparisons by ranking methods. *Biometrics Bulletin* 1(6), 80-83.
"""

from analytics.study.significance.bootstrap import (
    BOOTSTRAP_DRAWS,
    rademacher_signs,
    wild_bootstrap,
)
from analytics.study.significance.correlation import mean_pairwise_correlation
from analytics.study.significance.nonparametric import (
    corrado_rank_z,
    corrado_zivney_sign_z,
    estimation_rank_sums,
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
from analytics.study.significance.ranking import ResidualSummary, summarize_residuals
from analytics.study.significance.testresult import TestResult
from analytics.study.significance.window import (
    CROSS_SECTIONAL_TESTS,
    FEW_FIRMS,
    WINDOW_TESTS,
    window_tests,
)

__all__ = [
    "BOOTSTRAP_DRAWS",
    "CROSS_SECTIONAL_TESTS",
    "FEW_FIRMS",
    "WINDOW_TESTS",
    "ResidualSummary",
    "TestResult",
    "adjusted_patell_z",
    "bmp_t",
    "corrado_rank_z",
    "corrado_zivney_sign_z",
    "cross_sectional_t",
    "estimation_rank_sums",
    "generalized_rank_t",
    "generalized_sign_z",
    "kolari_pynnonen",
    "mean_pairwise_correlation",
    "patell_z",
    "portfolio_t",
    "rademacher_signs",
    "skewness_corrected_t",
    "summarize_residuals",
    "wilcoxon_test",
    "wild_bootstrap",
    "window_tests",
]
