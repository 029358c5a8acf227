"""Plain-language readings of the significance tests (one module, used by charts and pages)."""

from __future__ import annotations

import math

from analytics.study.significance import CROSS_SECTIONAL_TESTS, FEW_FIRMS
from app.charts.formatting import format_p, signed_number

__all__ = ["TEST_LABELS", "describe_test", "reading"]

TEST_LABELS: dict[str, str] = {
    "cs_t": "Cross-sectional t",
    "patell_z": "Patell Z",
    "adj_patell_z": "Adjusted Patell Z",
    "bmp_t": "BMP t",
    "kp_bmp_t": "Kolari–Pynnönen BMP t",
    "skew_t": "Skewness-corrected t (BHAR)",
    "boot_p": "Wild bootstrap t",
    "portfolio_t": "Portfolio t",
    "gen_sign_z": "Generalized sign Z",
    "cz_sign_z": "Corrado–Zivney sign Z",
    "corrado_z": "Corrado rank Z",
    "grank_t": "GRANK-T",
    "wilcoxon": "Wilcoxon W",
    "placebo": "Placebo",
}
"""Display names of the engine's test keys, in the order the table lists them."""

_TEST_SUBJECTS: dict[str, str] = {
    "gen_sign_z": "the balance of gainers and losers",
    "cz_sign_z": "the balance of abnormal returns above and below their medians",
    "corrado_z": "the rank pattern of abnormal returns",
    "grank_t": "the rank pattern of abnormal returns",
    "skew_t": "the average buy-and-hold abnormal return",
    "wilcoxon": "the median abnormal return",
}
_DEFAULT_SUBJECT = "the average abnormal return"


def reading(p: float) -> str:
    if p < 0.001:
        return "very unlikely to be noise"
    if p < 0.01:
        return "unlikely to be noise"
    if p < 0.05:
        return "probably not noise (significant at 5%)"
    if p < 0.10:
        return "borderline (weak evidence, could be noise)"
    return "consistent with noise"


def describe_test(name: str, stat: float, p: float, n: int | None = None) -> str:
    """Read one significance test in plain language.

    Parameters
    ----------
    name
        The engine's test key (``"patell_z"``, ``"wilcoxon"``, ...; see :data:`TEST_LABELS`).
    stat, p
        The statistic and its two-sided p-value.
    n
        The firms the test ran on, if known: a cross-sectional test on fewer than
        ``FEW_FIRMS`` (10) firms is read as unreliable, whatever its p-value.

    Examples
    --------
    >>> describe_test("patell_z", -4.1, 0.00004)
    'Patell Z = −4.1 (p < 0.001): the average abnormal return is very unlikely to be noise'
    >>> describe_test("bmp_t", -51.0, 0.0124, n=2)
    'BMP t = −51.0 (p = 0.012): unreliable with only 2 firms (fewer than 10)'
    """
    label = TEST_LABELS.get(name, name)
    if not (math.isfinite(stat) and math.isfinite(p)):
        return f"{label}: not available for this selection"
    stat_text = signed_number(stat, 0 if name == "wilcoxon" else 1)
    if n is not None and name in CROSS_SECTIONAL_TESTS and n < FEW_FIRMS:
        firms = f"{n} firm{'s' if n != 1 else ''}"
        return (
            f"{label} = {stat_text} ({format_p(p)}): unreliable with only {firms} "
            f"(fewer than {FEW_FIRMS})"
        )
    subject = _TEST_SUBJECTS.get(name, _DEFAULT_SUBJECT)
    return f"{label} = {stat_text} ({format_p(p)}): {subject} is {reading(p)}"
