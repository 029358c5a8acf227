"""Charts of a study's cross-section: CARs against a regressor with the fitted line, and each
group's CAAR. Pure builders over the result's tidy frames (not yet placed on a dashboard page)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.study.result import StudyResult
from app.charts.base import base_figure, check_columns, empty_figure, in_window, is_ok, rgba
from app.charts.formatting import format_p, pct, plain, window_label
from app.charts.theme import INSIGNIFICANT_OPACITY, NEUTRAL, sign_color

__all__ = ["group_caar_bar", "regression_points", "regression_scatter"]


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
    points: pd.DataFrame, terms: pd.DataFrame, *, window: str, regressor: str
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
        f"· n = {n} · line at the other regressors' means"
    )
    fig = base_figure(title, subtitle)
    x = used[regressor].to_numpy("float64")
    fig.add_scatter(
        x=x,
        y=used["car"].to_numpy("float64"),
        mode="markers",
        name="firms",
        text=[plain(t) for t in used["ticker"].astype(str)],
        hovertemplate="%{text}<br>" + regressor + " %{x:.3f}<br>CAR %{y:.2%}<extra></extra>",
        marker={"color": [sign_color(v) for v in used["car"]], "opacity": 0.75},
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
    )
    fig.update_layout(
        xaxis={"title": {"text": regressor}},
        yaxis={"title": {"text": f"CAR {window_label(window)}"}, "tickformat": ".0%"},
        showlegend=False,
    )
    return fig


def group_caar_bar(
    groups: pd.DataFrame, *, window: str, test: str = "cs_t", alpha: float = 0.05
) -> go.Figure:
    """Each group's CAAR in ``window`` as a bar, faded where ``test`` has p above ``alpha``.

    ``groups`` is the result's ``group_table`` (``window, group, n, caar, test, stat, p``).
    """
    title = f"CAAR {window_label(window)} by group"
    check_columns(groups, ["window", "group", "n", "caar", "test", "stat", "p"], "group_table")
    rows = in_window(groups, window)
    rows = rows[rows["test"].astype(str) == test].sort_values("caar", kind="stable")
    if rows.empty:
        return empty_figure(title)
    caar = rows["caar"].astype("float64").tolist()
    ps = rows["p"].astype("float64").tolist()
    fig = base_figure(title, f"Faded: {test} p ≥ {alpha:g}")
    fig.add_bar(
        x=caar,
        y=[plain(g) for g in rows["group"].astype(str)],
        orientation="h",
        text=[
            f"{pct(c, 1)} · n = {n} · {format_p(p)}"
            for c, n, p in zip(caar, rows["n"].astype(int), ps, strict=True)
        ],
        marker={
            "color": [
                rgba(
                    sign_color(c), 1.0 if math.isfinite(p) and p < alpha else INSIGNIFICANT_OPACITY
                )
                for c, p in zip(caar, ps, strict=True)
            ]
        },
        hoverinfo="text",
    )
    fig.update_layout(xaxis={"tickformat": ".0%", "title": {"text": "CAAR"}}, showlegend=False)
    return fig
