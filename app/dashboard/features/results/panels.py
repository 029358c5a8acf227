"""The results' text panels: the header's summary, the dollar headline, the grid's rows and the
verdict above the tests."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dash_mantine_components as dmc
import numpy as np
import pandas as pd
from dash import html, no_update

from analytics.errors import AftershockError
from analytics.study.result import CROSS_SECTIONAL_TESTS, FEW_FIRMS, StudyResult
from app.charts.base import SURVIVORSHIP_NOTE
from app.charts.formatting import (
    format_p,
    model_phrase,
    pct,
    signed_number,
    stars,
    value_words,
    window_label,
)
from app.dashboard.cache import DashboardData
from app.dashboard.components import NUM_FORMAT, P_FORMAT, PCT_FORMAT, SIGN_CLASSES, alert
from app.dashboard.state import MODELS, format_window
from app.dashboard.views import aggregate_row, focus_window, key_with_placebo

__all__ = [
    "cross_section_tables",
    "dollar_headline",
    "grid_table",
    "significance_panel",
    "summary",
]


def summary(data: DashboardData, key: str | None) -> Any:
    """The header's one-line study summary."""
    result = data.result(key)
    if result is None:
        return html.Span(
            "No results yet: the study is running, or could not run", className="summary-main"
        )
    spec = result.spec
    firms = result.firms
    ok = int((firms["status"] == "ok").sum())
    day0 = pd.Timestamp(result.events["day0"].min())
    first = spec.window_keys[0]
    row = aggregate_row(result, first)
    tests = result.tests
    cs = tests[(tests["window"] == first) & (tests["test"] == "cs_t")]
    p = float(cs["p"].iloc[0]) if len(cs) else math.nan
    tested = f" (cross-sectional t-test {format_p(p)})" if math.isfinite(p) else ""
    return [
        html.Div(
            f"CAAR {window_label(first)} {pct(float(row['caar']), 2)}{tested} "
            f"across {ok:,} firm{'' if ok == 1 else 's'}",
            className="summary-main",
        ),
        html.Div(
            f"Day 0 {day0:%a %d %b %Y} · {MODELS.get(spec.model, spec.model)} vs "
            f"{spec.benchmark} · estimation {format_window(spec.estimation)}"
        ),
    ]


def dollar_headline(data: DashboardData, key: str | None, focus: str | None) -> Any:
    """ "These stocks shed $X": the total estimated dollar impact of the focus window."""
    result = data.result(key)
    if result is None:
        return None
    window = focus_window(result, focus)
    row = aggregate_row(result, window)
    total, counted, n = (
        float(row["dollar_impact_total"]),
        int(row["dollar_impact_n"]),
        int(row["n"]),
    )
    if not math.isfinite(total) or counted == 0:
        return html.Div("No market values for these firms: no dollar impact", className="note")
    raw = float(row.get("value_change_total", math.nan))
    lead = raw if math.isfinite(raw) else total
    return html.Div(
        [
            html.Span(
                f"These stocks {value_words(raw, total, model_phrase(result.spec.model))}",
                className=f"total {'loss' if lead < 0 else 'gain'}",
            ),
            html.Div(
                f"{window_label(window).capitalize()}: the market value change of the {counted:,} "
                f"of {n:,} firms with a market value, and its abnormal part (what the model did "
                "not predict). " + SURVIVORSHIP_NOTE + ".",
                className="note",
            ),
        ]
    )


def grid_table(
    data: DashboardData, key: str | None, tab: str | None = None
) -> tuple[Any, Any, Any]:
    """The results grid: ``(columnDefs, rowData, excluded-firms note)``.

    With ``tab`` (the active results tab), it is drawn only on the grid's tab. The rows are
    built column by column (one row per firm, its first event), so the all-US universe's
    thousands of firms cost a few pandas operations, not a Python loop.
    """
    if tab is not None and tab != "grid":
        return no_update, no_update, no_update
    result = data.result(key)
    if result is None:
        return [], [], None
    firms = result.firms.drop_duplicates("ticker").set_index("ticker")
    tickers = pd.Index(firms.index.astype(str), name="ticker")
    days = result.days
    day0 = days[days["day"] == 0].drop_duplicates("ticker").set_index("ticker")["ar"]
    table = pd.DataFrame(
        {
            "ticker": tickers,
            "sector": data.sector_of(list(tickers)).reindex(tickers).to_numpy(),
            "beta": firms["beta"].astype("float64").to_numpy(),
            "ar0": day0.reindex(tickers).astype("float64").to_numpy(),
            "status": firms["status"].astype(str).to_numpy(),
        },
        index=tickers,
    )
    windows = result.windows.drop_duplicates(["ticker", "window"])
    for i, window in enumerate(result.spec.window_keys):
        rows = windows[windows["window"] == window].set_index("ticker").reindex(tickers)
        p = rows["p"].astype("float64").to_numpy()
        table[f"car{i}"] = rows["car"].astype("float64").to_numpy()
        table[f"t{i}"] = rows["t"].astype("float64").to_numpy()
        table[f"p{i}"] = p
        table[f"sig{i}"] = [stars(v) for v in p.tolist()]  # the one star rule, per firm
    numbers = table.select_dtypes("number")
    cells = table.astype(object)
    cells[numbers.columns] = numbers.astype(object).where(np.isfinite(numbers), None)
    rows_data = cells.to_dict("records")
    columns: list[dict[str, Any]] = [
        {"field": "ticker", "headerName": "Firm", "pinned": "left", "width": 100},
        {"field": "sector", "headerName": "Sector", "width": 170},
        {"field": "beta", "headerName": "Beta", "valueFormatter": NUM_FORMAT, "width": 90},
        {
            "field": "ar0",
            "headerName": "AR day 0",
            "valueFormatter": PCT_FORMAT,
            "cellClassRules": SIGN_CLASSES,
            "width": 110,
        },
    ]
    for i, window in enumerate(result.spec.window_keys):
        columns.append(
            {
                "headerName": f"Window {window_label(window)}",
                "children": [
                    {
                        "field": f"car{i}",
                        "headerName": "CAR",
                        "valueFormatter": PCT_FORMAT,
                        "cellClassRules": SIGN_CLASSES,
                        "width": 105,
                    },
                    {
                        "field": f"t{i}",
                        "headerName": "t",
                        "valueFormatter": NUM_FORMAT,
                        "width": 85,
                    },
                    {"field": f"p{i}", "headerName": "p", "valueFormatter": P_FORMAT, "width": 85},
                    {"field": f"sig{i}", "headerName": "", "width": 70, "filter": False},
                ],
            }
        )
    columns.append({"field": "status", "headerName": "Status", "width": 140})
    return columns, rows_data, _excluded_note(result)


_LISTED = 200
"""Exclusions listed by name under the grid."""


def _excluded_note(result: StudyResult) -> Any:
    excluded = result.excluded
    if excluded.empty:
        return None
    items = [
        f"{ticker} ({'all windows' if window == 'all' else window}): {reason}"
        for ticker, window, reason in zip(
            excluded["ticker"].astype(str).head(_LISTED),
            excluded["window"].astype(str).head(_LISTED),
            excluded["reason"].astype(str).head(_LISTED),
            strict=True,
        )
    ]
    n = len(excluded)
    if n > _LISTED:  # thousands of lines would only slow the page
        items.append(f"… and {n - _LISTED:,} more (each firm’s status is in the grid and its CSV)")
    return alert(items, title=f"{n:,} exclusion{'' if n == 1 else 's'}", color="gray")


def _volatility_note(result: StudyResult, window: str) -> list[Any]:
    """The window's abnormal volatility: how many times its usual variance the ARs had."""
    v = result.volatility.get(window)
    if v is None or not math.isfinite(v.ratio):
        return []
    text = (
        f"Abnormal volatility {window_label(window)}: the abnormal returns had {v.ratio:.1f}× "
        f"their estimation-period variance (λ = {v.lam:.1f} on {v.df} firm-days, {format_p(v.p)})."
    )
    return [html.Div(text, className="note")]


def _volume_note(result: StudyResult, window: str) -> list[Any]:
    """The window's abnormal volume; nothing when the data hold no volume (the summary says so)."""
    v = None if result.abnormal_volume is None else result.abnormal_volume.get(window)
    if v is None or v.n == 0:
        return []
    text = (
        f"Abnormal volume {window_label(window)}: log volume {signed_number(v.mean_sav, 2)} "
        f"estimation standard deviations from its mean (Z = {signed_number(v.z, 2)}, "
        f"{format_p(v.z_p)}; {v.n} firms)."
    )
    return [html.Div(text, className="note")]


def _calendar_time_note(result: StudyResult, window: str) -> list[Any]:
    """The window's calendar-time alpha, for studies with more than one day 0."""
    c = result.calendar_time.get(window)
    if c is None:
        return []
    if not math.isfinite(c.alpha):
        text = f"too few portfolio days ({c.days}) for its regression"
    else:
        text = (
            f"alpha {pct(c.alpha, 3)} a day (t = {signed_number(c.t, 2)}, {format_p(c.p)}) over "
            f"{c.days} portfolio days, {c.mean_firms:.1f} firm-events a day"
        )
    return [html.Div(f"Calendar-time portfolio {window_label(window)}: {text}.", className="note")]


def significance_panel(
    data: DashboardData,
    key: str | None,
    focus: str | None,
    tab: str | None = None,
    placebo: Mapping[str, Any] | None = None,
) -> Any:
    """The verdict above the tests table: CAAR and how many tests reject "no effect".

    With ``tab`` (the active results tab), it is drawn only on the Tests tab; ``placebo`` is
    the follow-up placebo run's keys (see :func:`key_with_placebo`).
    """
    if tab is not None and tab != "tests":
        return no_update
    result = data.result(key_with_placebo(key, placebo))
    if result is None:
        return None
    failed = (
        placebo.get("error")
        if isinstance(placebo, Mapping) and placebo.get("study") == key
        else None
    )
    window = focus_window(result, focus)
    row = aggregate_row(result, window)
    tests = result.tests[result.tests["window"] == window]
    if int(row["n"]) < FEW_FIRMS:  # too few firms for the cross-sectional tests to count
        tests = tests[~tests["test"].isin(CROSS_SECTIONAL_TESTS)]
    p = tests["p"].astype(float)
    available = int(p.notna().sum())
    rejecting = int((p < 0.05).sum())
    if available == 0:
        verdict = "No test could be computed for this window."
    elif rejecting == available:
        verdict = f"All {available} tests reject “no effect” at the 5% level."
    elif rejecting == 0:
        verdict = f"None of the {available} tests rejects “no effect” at 5%: this looks like noise."
    else:
        verdict = (
            f"{rejecting} of {available} tests reject “no effect” at 5%: the evidence is mixed; "
            "tests robust to event clustering (Kolari–Pynnönen, GRANK-T, portfolio, placebo) "
            "weigh most here."
        )
    return html.Div(
        [
            html.Span(
                f"CAAR {window_label(window)} = {pct(float(row['caar']), 2)} "
                f"over {int(row['n']):,} firms. ",
                className="tests-lead",
            ),
            html.Span(verdict),
            *(
                [html.Div(f"The placebo test could not run: {failed}", className="note")]
                if failed
                else []
            ),
            *_volatility_note(result, window),
            *_volume_note(result, window),
            *_calendar_time_note(result, window),
            *(
                alert(warning, title="Method warning", color="yellow")
                for warning in result.warnings
                if warning.startswith(f"window {window}:") or not warning.startswith("window ")
            ),
        ],
        className="tests-verdict",
    )


def cross_section_tables(
    data: DashboardData, key: str | None, focus: str | None, tab: str | None = None
) -> tuple[Any, Any]:
    """The Cross-section tab's tables: each sector's tests and its comparison with the rest,
    and the regression of the CARs on beta (see :meth:`DashboardData.cross_section`)."""
    if tab is not None and tab != "xsec":
        return no_update, no_update
    try:
        result = data.cross_section(key)
    except AftershockError as exc:
        return html.Div(str(exc), className="note"), None
    if result is None:
        return None, None
    window = focus_window(result, focus)
    return _group_table(result, window), _regression_table(result, window)


def _group_table(result: StudyResult, window: str) -> Any:
    groups = result.group_table
    groups = groups[groups["window"] == window]
    if groups.empty:
        return None
    p = groups.pivot(index="group", columns="test", values="p").reindex(columns=["cs_t", "grank_t"])
    cs_p, grank_p = p["cs_t"].astype(float).to_dict(), p["grank_t"].astype(float).to_dict()
    firms = groups.drop_duplicates("group").set_index("group")
    n, caar = firms["n"].astype(int).to_dict(), firms["caar"].astype(float).to_dict()
    diffs = result.group_differences
    diffs = diffs[diffs["window"] == window].set_index("a")
    compared = {
        str(a): (pct(float(d), 2), format_p(float(welch)), format_p(float(perm)))
        for a, d, welch, perm in zip(
            diffs.index, diffs["diff"], diffs["p"], diffs["perm_p"], strict=True
        )
    }
    body = [
        [group, n[group], pct(caar[group], 2), format_p(cs_p[group]), format_p(grank_p[group]),
         *compared.get(str(group), ("", "", ""))]
        for group in sorted(caar, key=caar.__getitem__)
    ]  # fmt: skip
    head = ["Sector", "Firms", "CAAR", "cs t", "GRANK-T", "vs the rest", "Welch", "Permutation"]
    caption = (
        f"{window_label(window).capitalize()}: each sector's CAAR and p-values (fewer than "
        f"{FEW_FIRMS} firms make the cs t unreliable), and its difference with the other firms."
    )
    return dmc.Table(
        data={"head": head, "body": body, "caption": caption},
        striped=True,
        highlightOnHover=True,
        captionSide="bottom",
        className="cross-section-table",
    )


def _regression_table(result: StudyResult, window: str) -> Any:
    terms = result.regression_table
    terms = terms[terms["window"] == window]
    if terms.empty:
        return None
    body = [
        [str(term), signed_number(float(coef), 4), f"{float(se):.4f}", f"{float(t):.2f}",
         format_p(float(p))]
        for term, coef, se, t, p in zip(
            terms["term"], terms["coef"], terms["se"], terms["t"], terms["p"], strict=True
        )
    ]  # fmt: skip
    first = terms.iloc[0]
    if not math.isfinite(float(first["coef"])):
        return html.Div(
            f"Regression on beta {window_label(window)}: too few firms ({int(first['n'])}) "
            "to fit it.",
            className="note",
        )
    caption = (
        f"OLS of the CARs {window_label(window)} on beta: n = {int(first['n'])}, "
        f"R² = {float(first['r2']):.2f}, {first['cov_type']} standard errors."
    )
    return dmc.Table(
        data={"head": ["Term", "Coefficient", "SE", "t", "p"], "body": body, "caption": caption},
        striped=True,
        captionSide="bottom",
        className="cross-section-table",
    )
