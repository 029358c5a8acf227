"""Shared pieces of every chart: the styled empty figure, footnotes, axis helpers and the
selection of a window's rows from the engine's tidy frames."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.errors import DataError
from app.charts.formatting import parse_window, plain
from app.charts.theme import FONT_SIZE, MUTED, TEMPLATE

__all__ = [
    "NO_DATA",
    "SURVIVORSHIP_NOTE",
    "add_footnote",
    "add_source_line",
    "bar_height",
    "base_figure",
    "check_columns",
    "empty_figure",
    "firm_labels",
    "in_window",
    "is_ok",
    "nice_ticks",
    "padded_range",
    "rgba",
]

NO_DATA = "No data for this selection"
SURVIVORSHIP_NOTE = "Only firms listed today: delisted firms are missing (survivorship bias)"


def check_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame):
        raise DataError(f"{name} frame lacks columns {missing}; pass the study result's {name}")


def in_window(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows of ``frame`` whose ``window`` key means the same days as ``key``."""
    if frame.empty or "window" not in frame.columns:
        return frame.iloc[0:0]
    target = parse_window(key)
    keys = {k: parse_window(str(k)) == target for k in frame["window"].dropna().unique()}
    return frame[frame["window"].map(keys).fillna(False).astype(bool)]


def is_ok(status: pd.Series) -> pd.Series:
    return status.astype("string").fillna("").str.strip().eq("ok")


def firm_labels(rows: pd.DataFrame) -> list[str]:
    """Ticker labels (escaped); a ticker in several firm-events is qualified by its event id."""
    tickers = rows["ticker"].astype(str).map(plain)
    repeated = tickers.duplicated(keep=False).to_numpy()
    if not repeated.any() or "event_id" not in rows.columns:
        return tickers.tolist()
    ids = rows["event_id"].astype(str).map(plain)
    return [f"{t} #{e}" if r else t for t, e, r in zip(tickers, ids, repeated, strict=True)]


def base_figure(title: str, subtitle: str | None = None) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "subtitle": {"text": subtitle or ""}},
    )
    return fig


def empty_figure(title: str, message: str = NO_DATA) -> go.Figure:
    fig = base_figure(title)
    fig.update_layout(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "showarrow": False,
                "font": {"size": FONT_SIZE + 2, "color": MUTED},
            }
        ],
    )
    return fig


def add_footnote(fig: go.Figure, text: str, *, below_axis: bool = True) -> None:
    """Small gray note under the plot area, clear of the x-axis ticks and title."""
    shift = -62 if below_axis else -6
    fig.add_annotation(
        text=text,
        x=0,
        y=0,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="top",
        yshift=shift,
        showarrow=False,
        align="left",
        font={"size": FONT_SIZE - 2, "color": MUTED},
    )
    fig.update_layout(margin={"b": 110 if below_axis else 50})


_SOURCE_LINE_HEIGHT = 24
_DEFAULT_BOTTOM = 70


def add_source_line(fig: go.Figure, text: str) -> None:
    """The study's source line (see :func:`app.charts.captions.source_line`) at the very bottom
    of the figure, in a strip of margin added for it, so it never meets axis titles or notes."""
    bottom = fig.layout.margin.b
    bottom = int(bottom) if bottom is not None else _DEFAULT_BOTTOM
    grown = bottom + _SOURCE_LINE_HEIGHT
    fig.add_annotation(
        text=plain(text),
        name="source",
        x=0,
        y=0,
        xref="paper",
        yref="paper",
        xanchor="left",
        yanchor="bottom",
        yshift=-grown + 4,
        showarrow=False,
        align="left",
        font={"size": FONT_SIZE - 3, "color": MUTED},
    )
    fig.update_layout(margin={"b": grown})
    if fig.layout.height is not None:
        fig.update_layout(height=int(fig.layout.height) + _SOURCE_LINE_HEIGHT)


def padded_range(values: np.ndarray, pad: float = 0.22) -> list[float]:
    """Axis range including zero with room for outside bar labels on both sides."""
    lo = min(0.0, float(np.nanmin(values)))
    hi = max(0.0, float(np.nanmax(values)))
    span = (hi - lo) or max(abs(hi), abs(lo), 1e-4)
    return [lo - pad * span if lo < 0 else lo, hi + pad * span if hi > 0 else hi]


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k steps) covering ``[lo, hi]``."""
    raw = (hi - lo) / target
    if not raw > 0:
        return [lo]
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step)
    return [k * step for k in range(first, math.floor(hi / step) + 1)]


def bar_height(n: int) -> int | None:
    """Figure height that gives each of ``n`` horizontal bars at least ~20 px."""
    return None if n <= 20 else 200 + 20 * n


def rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
