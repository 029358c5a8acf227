"""The cumulative average abnormal return over a window, with its 95% band and the AARs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.charts.base import check_columns, empty_figure, in_window, rgba
from app.charts.formatting import pct, window_label
from app.charts.theme import NEUTRAL, TEMPLATE, sign_color

__all__ = ["caar_path"]

_Z95 = 1.96


def caar_path(aar: pd.DataFrame, *, window: str) -> go.Figure:
    """Cumulative average abnormal return over a window with its 95% band, AARs below.

    Parameters
    ----------
    aar
        The study's ``aar`` frame (window, day, n, aar, caar, caar_se).
    window
        Window key, e.g. ``"-5:5"``.

    Returns
    -------
    go.Figure
        Row 1: band upper edge, band lower edge (``caar ± 1.96·caar_se``, filled), CAAR line.
        Row 2: AAR bars colored by sign.
    """
    title = f"Average cumulative abnormal return, {window_label(window)}"
    check_columns(aar, ["window", "day", "n", "aar", "caar", "caar_se"], "aar")
    rows = in_window(aar, window)
    if rows.empty or rows["caar"].isna().all():
        return empty_figure(title)
    rows = rows.sort_values("day", kind="stable")
    day = rows["day"].astype("int64").to_numpy()
    caar = rows["caar"].astype("float64").to_numpy()
    se = rows["caar_se"].astype("float64").to_numpy()
    aar_values = rows["aar"].astype("float64").to_numpy()
    n = rows["n"].to_numpy()
    final = caar[np.isfinite(caar)][-1]
    color = sign_color(final)
    one_day = len(day) == 1
    subtitle = (
        f"CAAR {window_label(window)} = {pct(final, 2)} over {int(np.nanmax(n)):,} firms · "
        f"{'error bar' if one_day else 'shaded'}: 95% interval (±1.96 standard errors)"
    )
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.07
    )
    fig.update_layout(template=TEMPLATE, title={"text": title, "subtitle": {"text": subtitle}})
    fig.add_scatter(
        x=day,
        y=caar + _Z95 * se,
        mode="lines",
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        name="95% band (upper)",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=day,
        y=caar - _Z95 * se,
        mode="lines",
        line={"width": 0},
        fill="tonexty",
        fillcolor=rgba(color, 0.18),
        hoverinfo="skip",
        showlegend=not one_day,
        name="95% band",
        legendrank=2,
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=day,
        y=caar,
        mode="lines+markers",
        line={"color": color, "width": 3},
        marker={"size": 7},
        # A one-day window has no band to fill: show the interval as an error bar instead.
        error_y={"array": _Z95 * se, "color": color, "thickness": 2, "width": 10}
        if one_day
        else None,
        customdata=np.column_stack([se, n]),
        hovertemplate=(
            "day %{x}: CAAR %{y:.2%}<br>SE %{customdata[0]:.2%} · %{customdata[1]} firms"
            "<extra></extra>"
        ),
        name="CAAR",
        legendrank=1,
        row=1,
        col=1,
    )
    fig.add_bar(
        x=day,
        y=aar_values,
        marker={"color": [sign_color(v) for v in np.nan_to_num(aar_values)]},
        hovertemplate="day %{x}: AAR %{y:.2%}<extra></extra>",
        name="AAR (daily)",
        legendrank=3,
        row=2,
        col=1,
    )
    for row in (1, 2):
        fig.add_hline(y=0, line={"color": "#616161", "width": 1}, row=row, col=1)
        fig.add_vline(x=0, line={"color": NEUTRAL, "width": 1, "dash": "dot"}, row=row, col=1)
    fig.update_xaxes(dtick=1 if len(day) <= 25 else None, zeroline=False)
    fig.update_xaxes(title={"text": "Trading days relative to the event"}, row=2, col=1)
    fig.update_yaxes(tickformat=".1%", zeroline=False)
    fig.update_yaxes(title={"text": "CAAR"}, row=1, col=1)
    fig.update_yaxes(title={"text": "AAR"}, row=2, col=1)
    fig.update_layout(
        legend={
            "orientation": "h",
            "x": 1,
            "xanchor": "right",
            "y": 1.0,
            "yanchor": "bottom",
            # Plotly reverses legends with tonexty fills by default; keep CAAR first.
            "traceorder": "normal",
        },
        bargap=0.3,
    )
    return fig
