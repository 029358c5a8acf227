"""Per-firm abnormal returns of a window (CAR bars, or day-0 ARs for a one-day window)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.errors import SpecError
from app.charts.base import (
    add_footnote,
    bar_height,
    base_figure,
    check_columns,
    empty_figure,
    firm_labels,
    in_window,
    is_ok,
    padded_range,
)
from app.charts.formatting import parse_window, pct, stars, window_label
from app.charts.theme import FONT_SIZE, INSIGNIFICANT_OPACITY, sign_color

__all__ = ["abnormal_returns_bar"]


def _firm_values(days: pd.DataFrame, windows: pd.DataFrame, key: str) -> tuple[pd.DataFrame, int]:
    """Per-firm ``value`` and ``p`` for a window, and how many firms the window excluded."""
    check_columns(windows, ["ticker", "window", "car", "p", "status"], "windows")
    check_columns(days, ["ticker", "day", "ar"], "days")
    rows = in_window(windows, key)
    ok = rows[is_ok(rows["status"])] if len(rows) else rows
    if len(ok):
        out = pd.DataFrame(
            {
                "label": firm_labels(ok),
                "value": ok["car"].astype("float64").to_numpy(),
                "p": ok["p"].astype("float64").to_numpy(),
            }
        )
        return out.dropna(subset=["value"]), len(rows) - len(ok)
    a, b = parse_window(key)
    if a == b and len(days):
        # The window has no firm-level test in `windows`: show the day's ARs without stars.
        day = days[days["day"] == a].dropna(subset=["ar"])
        out = pd.DataFrame(
            {
                "label": firm_labels(day),
                "value": day["ar"].astype("float64").to_numpy(),
                "p": np.full(len(day), np.nan),
            }
        )
        return out, len(rows)
    return pd.DataFrame({"label": [], "value": [], "p": []}), len(rows)


def abnormal_returns_bar(
    days: pd.DataFrame,
    windows: pd.DataFrame,
    *,
    window: str = "0:0",
    sort: bool = True,
    alpha: float = 0.05,
    max_bars: int = 30,
) -> go.Figure:
    """Per-firm abnormal return (day 0) or CAR (longer window) as horizontal bars.

    Parameters
    ----------
    days, windows
        The study's per-day and per-window frames.
    window
        Window key; ``"0:0"`` is the day-0 abnormal return.
    sort
        Sort bars by value, largest at the top.
    alpha
        Bars with a firm-level p-value not below ``alpha`` are faded.
    max_bars
        With more firms, only the largest and smallest ``max_bars / 2`` are shown, with a note.

    Returns
    -------
    go.Figure
        One bar trace; red for negative, blue for positive, stars for p < 0.10/0.05/0.01.
    """
    if not 0 < alpha < 1:
        raise SpecError(f"alpha={alpha!r} must be between 0 and 1, e.g. 0.05")
    if max_bars < 2:
        raise SpecError(f"max_bars={max_bars!r} must be at least 2")
    a, b = parse_window(window)
    what = "Abnormal return on day 0" if (a, b) == (0, 0) else f"CAR {window_label(window)}"
    title = f"{what} by firm"
    values, excluded = _firm_values(days, windows, window)
    if values.empty:
        return empty_figure(title)
    n = len(values)
    low = max_bars // 2
    if n > max_bars:
        ranked = values.sort_values("value", kind="stable")
        values = pd.concat([ranked.iloc[:low], ranked.iloc[n - (max_bars - low) :]])
    elif sort:
        values = values.sort_values("value", kind="stable")
    else:
        # Plotly draws the first category at the bottom: reverse so the input reads top-down.
        values = values.iloc[::-1]
    x = values["value"].to_numpy()
    p = values["p"].to_numpy()
    significant = ~(p >= alpha)  # NaN p (no test) stays opaque
    notes = [f"{n:,} firms"]
    if excluded:
        notes.append(f"{excluded:,} excluded")
    if n > max_bars:
        notes.append(f"showing the {max_bars - low} highest and {low} lowest")
    fig = base_figure(title, " · ".join(notes))
    fig.add_bar(
        x=x,
        y=values["label"].tolist(),
        orientation="h",
        marker={
            "color": [sign_color(v) for v in x],
            "opacity": np.where(significant, 1.0, INSIGNIFICANT_OPACITY).tolist(),
        },
        text=[f"{pct(v)} {stars(q)}".rstrip() for v, q in zip(x, p, strict=True)],
        textposition="outside",
        cliponaxis=False,
        customdata=p,
        hovertemplate="<b>%{y}</b>: %{x:.2%}<br>p = %{customdata:.3f}<extra></extra>",
        name=what,
    )
    fig.update_layout(
        xaxis={
            "title": {"text": what},
            "tickformat": ".0%" if np.nanmax(np.abs(x)) >= 0.05 else ".1%",
            "range": padded_range(x),
            "zeroline": True,
            "zerolinecolor": "#616161",
        },
        yaxis={
            "type": "category",
            "tickfont": {"size": FONT_SIZE if len(values) <= 20 else FONT_SIZE - 2},
            "ticks": "",
        },
        bargap=0.25,
        showlegend=False,
        height=bar_height(len(values)),
    )
    if np.isfinite(p).any():
        add_footnote(
            fig,
            f"Faded: not significant (p ≥ {alpha:g}, firm-level t). "
            "*** p < 0.01 · ** p < 0.05 · * p < 0.10",
        )
    return fig
