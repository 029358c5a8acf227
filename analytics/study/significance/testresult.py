"""The outcome of one hypothesis test (:class:`TestResult`) and the t and normal p-values
every test shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

__all__ = ["TestResult", "t_result", "z_result"]

_NAN = float("nan")


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


def t_result(stat: float, df: float, null: str) -> TestResult:
    """A two-sided t test result with ``df`` degrees of freedom; NaN when undefined."""
    if not (math.isfinite(stat) and df >= 1):
        return TestResult(stat=_NAN, pvalue=_NAN, null=null, df=df if df >= 1 else None)
    # scipy.stats.t.sf(x, df) is stdtr(df, -x); called directly, without its per-call checks.
    pvalue = float(2.0 * special.stdtr(df, -abs(stat)))
    return TestResult(stat=float(stat), pvalue=pvalue, null=null, df=float(df))


def z_result(stat: float, null: str) -> TestResult:
    """A two-sided normal test result; NaN when ``stat`` is not finite."""
    if not math.isfinite(stat):
        return TestResult(stat=_NAN, pvalue=_NAN, null=null)
    pvalue = float(2.0 * special.ndtr(-abs(stat)))  # scipy.stats.norm.sf(x) is ndtr(-x)
    return TestResult(stat=float(stat), pvalue=pvalue, null=null)
