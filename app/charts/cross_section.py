"""Charts of a study's cross-section: CARs against a regressor with the fitted line, and each
group's CAAR. Pure builders over the result's tidy frames; :func:`cross_section_chart` draws the
dashboard's Cross-section tab from a study run with sector groups and a beta regression."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.study.groups import REST
from analytics.study.result import StudyResult
from app.charts.base import base_figure, check_columns, empty_figure, in_window, is_ok, rgba
from app.charts.formatting import format_p, pct, plain, window_label
from app.charts.theme import INSIGNIFICANT_OPACITY, LINE_COLORS, NEUTRAL, sign_color

__all__ = [
    "CROSS_SECTION_CHARTS",
    "cross_section_chart",
    "group_caar_bar",
    "regression_points",
    "regression_scatter",
]

CROSS_SECTION_CHARTS: Final = ("sector_groups", "beta_regression")
"""The cross-section charts: each sector's CAAR, and CARs against market beta."""


def regression_points(result: StudyResult, *, window: str) -> pd.DataFrame:
    """Per firm-event included in ``window``: ``ticker, car`` and every regressor's value."""
    if result.regressors is None:
        return pd.DataFrame(columns=["ticker", "car"])
    rows = in_window(result.windows, window)
    keep = is_ok(rows["status"]).to_numpy()
    values = result.regressors.reset_index(drop=True)
    points = pd.concat([rows[["ticker", "car"]].reset_index(drop=True), values], axis=1).loc[keep]
    return points.reset_index(drop=True)


def regression_scatter(
    points: pd.DataFrame,
    terms: pd.DataFrame,
    *,
    window: str,
    regressor: str,
    groups: Mapping[str, str] | None = None,
) -> go.Figure:
    """CARs against one regressor, with the fitted line at the other regressors' means.

    Parameters
    ----------
    points
        :func:`regression_points` of the window (``ticker, car`` and the regressors).
    terms
        The result's ``regression_table`` (``window, term, coef, se, t, p, n``).
    window, regressor
        Window key, and the regressor on the x axis.
    groups
        Ticker → group (e.g. sector): one colour per group, named in the legend; without it the
        points are coloured by the sign of their CAR.
    """
    title = f"CAR {window_label(window)} against {regressor}"
    check_columns(terms, ["window", "term", "coef", "t", "p", "n"], "regression_table")
    fit = in_window(terms, window)
    if regressor not in points.columns or fit.empty:
        return empty_figure(title)
    used = points.dropna()
    coef = dict(zip(fit["term"].astype(str), fit["coef"].astype("float64"), strict=True))
    if used.empty or not all(math.isfinite(v) for v in coef.values()):
        return empty_figure(title, "Too few firms with every regressor to fit")
    named = fit.set_index(fit["term"].astype(str))
    slope_t = float(named["t"].astype("float64")[regressor])
    slope_p = float(named["p"].astype("float64")[regressor])
    n = int(named["n"].astype("int64")[regressor])
    subtitle = (
        f"slope {coef[regressor]:+.4f} (t = {slope_t:.2f}, {format_p(slope_p)}) "
        f"· n = {n}" + (" · line at the other regressors' means" if len(coef) > 2 else "")
    )
    fig = base_figure(title, subtitle)
    x = used[regressor].to_numpy("float64")
    hover = "%{text}<br>" + regressor + " %{x:.3f}<br>CAR %{y:.2%}<extra>%{fullData.name}</extra>"
    tickers = used["ticker"].astype(str)
    if groups is None:
        fig.add_scatter(
            x=x,
            y=used["car"].to_numpy("float64"),
            mode="markers",
            name="firms",
            text=[plain(t) for t in tickers],
            hovertemplate=hover,
            marker={"color": [sign_color(v) for v in used["car"]], "opacity": 0.75},
        )
    else:
        label = tickers.map(lambda t: groups.get(t) or "Unknown")
        for i, group in enumerate(sorted(set(label))):
            mine = (label == group).to_numpy()
            fig.add_scatter(
                x=x[mine],
                y=used["car"].to_numpy("float64")[mine],
                mode="markers",
                name=plain(group),
                text=[plain(t) for t in tickers[mine]],
                hovertemplate=hover,
                marker={"color": LINE_COLORS[i % len(LINE_COLORS)], "opacity": 0.85},
            )
    others = [k for k in coef if k not in ("const", regressor)]
    level = coef.get("const", 0.0) + sum(coef[k] * float(used[k].mean()) for k in others)
    line = np.array([x.min(), x.max()])
    fig.add_scatter(
        x=line,
        y=level + coef[regressor] * line,
        mode="lines",
        name="fit",
        line={"color": NEUTRAL, "width": 2},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.update_layout(
        xaxis={"title": {"text": regressor}},
        yaxis={"title": {"text": f"CAR {window_label(window)}"}, "tickformat": ".0%"},
        showlegend=groups is not None,
        legend={"x": 1.01, "y": 1, "yanchor": "top", "font": {"size": 11}},
    )
    return fig


def cross_section_chart(
    name: str, result: StudyResult, *, window: str, groups: Mapping[str, str] | None = None
) -> go.Figure:
    """Chart ``name`` (one of :data:`CROSS_SECTION_CHARTS`) of a study run with
    ``group_by="sector"`` and, when its model estimates a beta, ``regress=("beta",)``;
    ``groups`` (ticker → sector) colours the beta chart's firms."""
    if name == "sector_groups":
        if result.groups is None:
            return empty_figure("CAAR by sector", "This study is not grouped by sector")
        return group_caar_bar(
            result.group_table,
            window=window,
            differences=result.group_differences,
            by=result.groups.by,
        )
    if name == "beta_regression":
        if "beta" not in result.spec.regress:
            return empty_figure(
                "CAR against beta", f"The {result.spec.model} model estimates no market beta"
            )
        points = regression_points(result, window=window)
        return regression_scatter(
            points, result.regression_table, window=window, regressor="beta", groups=groups
        )
    raise ValueError(f"unknown cross-section chart {name!r}; one of {CROSS_SECTION_CHARTS}")


def group_caar_bar(
    groups: pd.DataFrame,
    *,
    window: str,
    test: str = "cs_t",
    alpha: float = 0.05,
    differences: pd.DataFrame | None = None,
    by: str = "group",
) -> go.Figure:
    """Each group's CAAR in ``window`` as a bar, solid where it is significant at ``alpha``.

    ``groups`` is the result's ``group_table`` (``window, group, n, caar, test, stat, p``).
    With ``differences`` (its ``group_differences``), significant means that the group's CAAR
    differs from the rest's (or the other group's) by the permutation p, which holds for
    small groups too; without them, that ``test`` rejects a zero CAAR. ``by`` names the
    grouping in the title.
    """
    title = f"CAAR {window_label(window)} by {by}"
    check_columns(groups, ["window", "group", "n", "caar", "test", "stat", "p"], "group_table")
    rows = in_window(groups, window)
    rows = rows[rows["test"].astype(str) == test].sort_values("caar", kind="stable")
    if rows.empty:
        return empty_figure(title)
    names = rows["group"].astype(str).tolist()
    labels = [plain(g) for g in names]
    caar = rows["caar"].astype("float64").tolist()
    own = rows["p"].astype("float64").tolist()
    n = rows["n"].astype(int).tolist()
    compared = _comparisons(differences, window)
    if compared:
        ps = [compared[g][3] if g in compared else math.nan for g in names]
        rest = any(other == "the rest" for other, *_ in compared.values())
        against = "the rest" if rest else "the other group"
        subtitle = f"p: the CAAR against {against}'s (permutation); solid where p < {alpha:g}"
    else:
        ps = own
        subtitle = f"Solid: {test} p < {alpha:g}"
    text = [f"{pct(c, 1)} · n = {k} · {format_p(p)}" for c, k, p in zip(caar, n, ps, strict=True)]
    hover = [
        f"{label}: CAAR {pct(c, 2)} · n = {k} · {test} {format_p(p)}"
        + (
            f"<br>vs {compared[g][0]}: {pct(compared[g][1], 2)} "
            f"(Welch {format_p(compared[g][2])}, permutation {format_p(compared[g][3])})"
            if g in compared
            else ""
        )
        for label, g, c, k, p in zip(labels, names, caar, n, own, strict=True)
    ]
    fig = base_figure(title, subtitle)
    fig.add_bar(
        x=caar,
        y=labels,
        orientation="h",
        text=text,
        marker={
            "color": [
                rgba(
                    sign_color(c), 1.0 if math.isfinite(p) and p < alpha else INSIGNIFICANT_OPACITY
                )
                for c, p in zip(caar, ps, strict=True)
            ]
        },
        hovertext=hover,
        hoverinfo="text",
    )
    # Room beside the bars for the labels that do not fit inside them.
    low, high = min(0.0, *caar), max(0.0, *caar)
    pad = 0.35 * ((high - low) or 0.01)
    fig.update_traces(textposition="auto", cliponaxis=False)
    fig.update_layout(
        xaxis={
            "tickformat": ".0%",
            "title": {"text": "CAAR"},
            "range": [low - (pad if low < 0 else 0.0), high + (pad if high > 0 else 0.0)],
        },
        showlegend=False,
    )
    return fig


def _comparisons(
    differences: pd.DataFrame | None, window: str
) -> dict[str, tuple[str, float, float, float]]:
    """Group → ``(what it is compared with, CAAR difference, Welch p, permutation p)``; with two
    groups both get their one comparison, each from its own side."""
    if differences is None or differences.empty:
        return {}
    rows = in_window(differences, window)
    out: dict[str, tuple[str, float, float, float]] = {}
    for a, b, d, p, perm in zip(
        rows["a"].astype(str), rows["b"].astype(str), rows["diff"].astype("float64"),
        rows["p"].astype("float64"), rows["perm_p"].astype("float64"), strict=True,
    ):  # fmt: skip
        if b == REST:
            out[a] = ("the rest", d, p, perm)
        else:
            out[a] = (plain(b), d, p, perm)
            out[b] = (plain(a), -d, p, perm)
    return out
