"""The report of a study: fixed-width text for ``print``, HTML for notebooks."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from analytics.study.significance.window import CROSS_SECTIONAL_TESTS, FEW_FIRMS, TEST_NOTES

if TYPE_CHECKING:
    from analytics.study.result import StudyResult

__all__ = ["Summary", "describe_model", "summarize"]

_OK = "ok"


def _stars(p: float) -> str:
    if not p < 0.10:
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*"


def _usd(value: float) -> str:
    """Compact signed dollars: ``-6.74e11 -> "-$674.0B"``."""
    sign = "-" if value < 0 else "+"
    size = abs(value)
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6)):
        if size >= scale:
            return f"{sign}${size / scale:,.1f}{unit}"
    return f"{sign}${size:,.0f}"


class Summary:
    """A study's report: plain text for ``print`` (``__str__``), an HTML table for notebooks
    (``_repr_html_``), as :meth:`StudyResult.summary` gives it.

    Parameters
    ----------
    lines
        The fixed-width report, one string per line.
    tests
        The per-window tests (``window, test, stat, p``), shown as a table in HTML.
    """

    def __init__(self, lines: list[str], tests: pd.DataFrame) -> None:
        self.lines = tuple(lines)
        self.tests = tests

    def as_text(self) -> str:
        """The report as fixed-width text."""
        return "\n".join(self.lines)

    def as_html(self) -> str:
        """The report as HTML: the text in a ``<pre>`` block, then the tests as a table."""
        text = html.escape(self.as_text())
        table = self.tests.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="")
        return f"<pre>{text}</pre>\n{table}"

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


_MODEL_TEXT: Final[dict[str, str]] = {
    "market": "market model, OLS of R_i on R_m",
    "market_adjusted": "market-adjusted, E[R_i] = R_m",
    "constant_mean": "constant mean of the estimation window",
    "capm": "CAPM, OLS of excess returns over ^IRX on the market's",
    "ff3": "Fama-French 3 factors, OLS of excess returns",
    "ff5": "Fama-French 5 factors, OLS of excess returns",
    "carhart": "Carhart 4 factors, OLS of excess returns",
    "etf_factors": "4 factors proxied by ETFs, OLS of excess returns",
    "factors": "every column of the factor file, OLS of excess returns",
    "scholes_williams": "market model with the Scholes-Williams (1977) beta "
    "(b-1 + b0 + b+1) / (1 + 2 rho_m), for thin trading",
    "garch": "market model with GARCH(1,1) errors (arch, maximum likelihood); SAR from the "
    "conditional sigma forecast of each event day",
    "egarch": "market model with EGARCH(1,1) errors (arch, maximum likelihood); SAR from the "
    "conditional sigma forecast of each event day",
}


def describe_model(model: str, *, dimson_lags: int = 1) -> str:
    """One line on what a normal-return model is.

    >>> describe_model("dimson", dimson_lags=2)
    'market model with the Dimson (1979) beta, the sum of the betas on R_m,t-2 .. R_m,t+2'
    """
    if model == "dimson":
        return (
            "market model with the Dimson (1979) beta, the sum of the betas on "
            f"R_m,t-{dimson_lags} .. R_m,t+{dimson_lags}"
        )
    return _MODEL_TEXT.get(model, model)


def summarize(result: StudyResult) -> Summary:
    """The report of ``result`` (see :meth:`StudyResult.summary`)."""
    spec = result.spec
    n_ok = sum(status == _OK for status in result.firm_status)
    day0 = result.day0 if isinstance(result.day0, str) else ", ".join(result.day0)
    lines = [
        f"Event study: {spec.model} model, benchmark {spec.benchmark}, {spec.returns} returns",
        f"Model: {describe_model(spec.model, dimson_lags=spec.dimson_lags)}",
        f"Day 0: {day0}",
        f"Firm-events: {len(result.firm_status)} ({n_ok} ok, "
        f"{len(result.firm_status) - n_ok} excluded); estimation "
        f"{spec.estimation[0]}:{spec.estimation[1]} (min {spec.min_estimation} returns)",
    ]
    if spec.standardization == "sum_sar":
        lines.append(
            "SCAR: sum of daily SARs / sqrt(L) (ignores the cross-day covariance of a firm's "
            "ARs; over-rejects slightly)"
        )
    if result.warnings:
        lines += ["", "Warnings:"] + [f"  ! {warning}" for warning in result.warnings]
    aggregate = result.aggregate
    tests = result.tests
    for key, n, caar, total, n_dollars in zip(
        aggregate["window"],
        aggregate["n"].to_numpy(),
        aggregate["caar"].to_numpy(),
        aggregate["dollar_impact_total"].to_numpy(),
        aggregate["dollar_impact_n"].to_numpy(),
        strict=True,
    ):
        dollars = f"   dollar impact {_usd(total)} ({n_dollars} firms)" if n_dollars > 0 else ""
        lines += [
            "",
            f"Window {key:>7}   n = {n}   CAAR = {caar:+.4%}{dollars}",
            f"  {'test':<12}{'stat':>10}{'p':>10}",
        ]
        mine = tests[tests["window"] == key]
        for name, stat, p in zip(
            mine["test"], mine["stat"].to_numpy(), mine["p"].to_numpy(), strict=True
        ):
            extra = f"  (k = {result.placebo[key].k})" if name == "placebo" else ""
            if name == "boot_p":
                extra = f"  (B = {spec.bootstrap})"
            if name in CROSS_SECTIONAL_TESTS and 0 < n < FEW_FIRMS:
                extra = f"  unreliable: {n} firms"
            lines.append(f"  {name:<12}{stat:>10.3f}{p:>10.4f} {_stars(float(p)):<3}{extra}")
        volatility = result.volatility.get(key)
        if volatility is not None:
            lines.append(
                f"  volatility ratio {volatility.ratio:.3f} (λ = {volatility.lam:.1f}, "
                f"df = {volatility.df}, p = {volatility.p:.4f}) {_stars(volatility.p)}".rstrip()
            )
    if result.abnormal_volume is None:
        lines += ["", "Abnormal volume: no volume in the data (these prices carry no volume)."]
    else:
        lines += ["", "Abnormal volume (log volume in estimation standard deviations):"]
        for key, v in result.abnormal_volume.items():
            lines.append(
                f"  window {key:>7}   mean SAV = {v.mean_sav:+.3f}   Z = {v.z:.3f} "
                f"(p = {v.z_p:.4f})   t = {v.t:.3f} (p = {v.t_p:.4f})   {v.n} firms"
            )
    if result.calendar_time:
        lines += [
            "",
            "Calendar-time portfolio (equally weighted firm-events in their window, alpha per day "
            "on the model's regressors):",
        ]
        for key, c in result.calendar_time.items():
            lines.append(
                f"  window {key:>7}   alpha = {c.alpha:+.4%}   t = {c.t:.3f}   p = {c.p:.4f} "
                f"{_stars(c.p):<3}  {c.days} days, {c.mean_firms:.1f} firm-events a day"
            )
    lines += _regression_lines(result)
    lines += _group_lines(result)
    lines += _firm_lines(result)
    excluded = result.excluded
    if len(excluded):
        lines += ["", "Excluded:"]
        lines += [
            f"  {row.ticker:<8}{row.window:>7}  {row.reason}"
            for row in excluded.itertuples(index=False)
        ]
    shown = [name for name in TEST_NOTES if name in set(tests["test"])]
    if shown:
        lines += ["", "Tests (two-sided p):"]
        lines += [f"  {name:<14}{TEST_NOTES[name]}" for name in shown]
        if "placebo" in set(tests["test"]):
            lines.append(
                f"  {'placebo':<14}CAAR against the CAARs of the same study on pseudo event "
                "days (empirical p)"
            )
    lines += ["", "*** p < 0.01, ** p < 0.05, * p < 0.10"]
    return Summary(lines, tests.copy(deep=False))


def _regression_lines(result: StudyResult) -> list[str]:
    """Each window's cross-sectional regression of CARs: n, R² and the terms."""
    if not result.regression:
        return []
    lines = ["", f"Cross-sectional regression of CAR on {', '.join(result.spec.regress)}:"]
    for key, fit in result.regression.items():
        errors = (
            f"clustered by event date ({fit.clusters} dates)"
            if fit.cov_type == "cluster"
            else "HC3 standard errors"
        )
        lines.append(f"  Window {key:>7}   n = {fit.n}   R² = {fit.r2:.3f}   {errors}")
        if not np.isfinite(fit.r2):
            lines.append("    too few firms with every regressor to fit")
            continue
        lines.append(f"    {'term':<12}{'coef':>11}{'se':>11}{'t':>9}{'p':>9}")
        lines += [
            f"    {t.name:<12}{t.coef:>+11.4f}{t.se:>11.4f}{t.t:>9.2f}{t.p:>9.4f} {_stars(t.p)}"
            for t in fit.terms
        ]
    return lines


def _group_lines(result: StudyResult) -> list[str]:
    """Each window's groups (n, CAAR, cross-sectional t) and the differences of their CAARs."""
    groups = result.groups
    if groups is None:
        return []
    lines = ["", f"Groups by {groups.by} (CAAR, cross-sectional t):"]
    for key, window in groups.windows.items():
        width = max([len(g.label) for g in window.groups] + [5])
        lines.append(f"  Window {key:>7}")
        for g in window.groups:
            cs = g.tests.get("cs_t")
            stat, p = (cs.stat, cs.pvalue) if cs is not None else (np.nan, np.nan)
            lines.append(
                f"    {g.label:<{width}}  n = {g.n:<4} CAAR = {g.caar:+.4%}   t = {stat:7.3f}"
                f"   p = {p:.4f} {_stars(p)}"
            )
        for d in window.differences:
            lines.append(
                f"    {d.a} − {d.b}: {d.diff:+.4%}   Welch t = {d.welch_t:.3f} (df {d.df:.1f}) "
                f"p = {d.p:.4f}   permutation p = {d.perm_p:.4f} ({d.permutations} draws)"
            )
    return lines


def _firm_lines(result: StudyResult, most: int = 30) -> list[str]:
    """Per-firm CARs (t-stars) sorted by the first window; the extremes when there are many."""
    windows = result.windows
    ok = windows[windows["status"] == _OK]
    if ok.empty:
        return []
    keys = list(result.spec.window_keys)
    car = ok.pivot_table(index=["event_id", "ticker"], columns="window", values="car")
    p = ok.pivot_table(index=["event_id", "ticker"], columns="window", values="p")
    car = car.reindex(columns=keys).sort_values(keys[0])
    cars = car.to_numpy("float64")
    pvalues = p.reindex(index=car.index, columns=keys).to_numpy("float64")
    names = [str(ticker) for _, ticker in car.index]
    head = f"  {'ticker':<10}" + "".join(f"{'CAR ' + k:>16}" for k in keys)
    lines = ["", "Firms (CAR, stars from the firm t-test):", head]
    order = list(range(len(names)))
    if len(order) > most:
        order = [*order[: most // 2], -1, *order[-most // 2 :]]
    for i in order:
        if i < 0:
            lines.append(f"  ... {len(names) - most} more firms ...")
            continue
        cells = "".join(
            f"{c:>+12.2%} {_stars(q):<3}" if np.isfinite(c) else f"{'-':>16}"
            for c, q in zip(cars[i], pvalues[i], strict=True)
        )
        lines.append(f"  {names[i]:<10}{cells}")
    return lines
