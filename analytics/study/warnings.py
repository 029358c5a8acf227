"""Method warnings: what a reader must know before trusting a study's numbers.

>>> method_warnings("market", ("0:0",), [3])[0].startswith("window 0:0: only 3 firms;")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from analytics.study.significance.window import CROSS_SECTIONAL_TESTS, FEW_FIRMS

__all__ = ["ETF_PROXY_WARNING", "method_warnings"]

_TEST_LABELS: Mapping[str, str] = {
    "cs_t": "cross-sectional t",
    "patell_z": "Patell Z",
    "adj_patell_z": "adjusted Patell Z",
    "bmp_t": "BMP t",
    "kp_bmp_t": "Kolari–Pynnönen",
    "skew_t": "skewness-corrected t",
    "boot_p": "wild bootstrap",
    "gen_sign_z": "generalized sign Z",
    "wilcoxon": "Wilcoxon",
}
ETF_PROXY_WARNING = (
    "model etf_factors: the factor proxies are ETFs (SPY, IWM, IVE, IVW, MTUM) that hold the "
    "market's largest stocks, so when an event moves those stocks the factors move with them "
    "and absorb part of their abnormal returns (on the DeepSeek day NVDA's AR is -13.3% under "
    "the market model, -4.5% under the ETF proxies); compare with the market model"
)


def method_warnings(model: str, windows: Sequence[str], firms: Iterable[int]) -> tuple[str, ...]:
    """The warnings of a study with ``model`` and ``firms`` included firms per window.

    - a window with 1 to ``FEW_FIRMS - 1`` included firms: the cross-sectional tests
      (:data:`CROSS_SECTIONAL_TESTS`) are unreliable with so few firms;
    - the ETF-proxy factor model: its factors move with the event's own large caps.
    """
    found = []
    few: dict[int, list[str]] = {}
    for key, n in zip(windows, firms, strict=True):
        if 0 < n < FEW_FIRMS:
            few.setdefault(int(n), []).append(key)
    tests = ", ".join(_TEST_LABELS[name] for name in CROSS_SECTIONAL_TESTS)
    for n, keys in few.items():
        where = f"window{'s' if len(keys) > 1 else ''} {', '.join(keys)}"
        found.append(
            f"{where}: only {n} firm{'s' if n > 1 else ''}; the cross-sectional tests "
            f"({tests}) are unreliable with fewer than {FEW_FIRMS} firms: read the firms' "
            "own CARs, the portfolio t, the rank test and the placebo instead"
        )
    if model == "etf_factors":
        found.append(ETF_PROXY_WARNING)
    return tuple(found)
