"""The price chart: each firm's adjusted close around the event, rebased to day −1 = 100."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.errors import SpecError
from analytics.news.markers import NewsMarker
from app.charts.base import base_figure, empty_figure
from app.charts.formatting import plain
from app.charts.theme import BENCHMARK_COLOR, FONT_SIZE, MUTED, NEUTRAL

__all__ = ["BAND_ABOVE", "BAND_QUANTILES", "price_bands", "price_paths"]

BAND_ABOVE = 600
"""With more firms than this, the price chart draws quantile bands instead of firm lines."""
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""The bands' quantiles: 5–95%, 25–75% and the median."""
BAND_COLOR = "rgba(33, 102, 172, {})"


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _add_news(
    fig: go.Figure,
    news: Sequence[NewsMarker],
    drawn: pd.DataFrame,
    rel: np.ndarray,
    dates: np.ndarray,
) -> None:
    """The ``"News"`` trace: each marker of a drawn ticker on its line, at its session's row of
    ``drawn`` (rebased prices, one row per session of the chart); none without a price there."""
    row = {day.date(): i for i, day in enumerate(pd.to_datetime(drawn.index))}
    points = []
    for marker in news:
        i = row.get(marker.session)
        if marker.ticker not in drawn.columns or i is None:
            continue
        y = drawn[marker.ticker].iloc[i]
        if pd.notna(y):
            points.append((rel[i], float(y), marker, dates[i]))
    if not points:
        return
    fig.add_scatter(
        x=[p[0] for p in points],
        y=[p[1] for p in points],
        name="News",
        mode="markers",
        marker={
            "symbol": "diamond",
            "size": 11,
            "color": BENCHMARK_COLOR,
            "line": {"color": "white", "width": 1.5},
        },
        text=[plain(_truncate(p[2].headline, 70)) for p in points],
        hovertext=[f"{plain(p[2].ticker)} · {p[3]}" for p in points],
        customdata=[p[2].article for p in points],
        hovertemplate="<b>%{text}</b><br>%{hovertext} · day %{x}<extra>News</extra>",
    )


def price_bands(normalized: pd.DataFrame) -> pd.DataFrame:
    """Per session (row), the :data:`BAND_QUANTILES` of the firms' rebased prices (columns),
    over the firms with a price that session (linear interpolation, as ``DataFrame.quantile``);
    one column per quantile, all-NaN where no firm has a price."""
    values = normalized.to_numpy(dtype="float64")
    out = np.full((len(values), len(BAND_QUANTILES)), np.nan)
    priced = ~np.isnan(values).all(axis=1)
    if priced.any():
        out[priced] = np.nanquantile(values[priced], BAND_QUANTILES, axis=1).T
    return pd.DataFrame(out, index=normalized.index, columns=list(BAND_QUANTILES))


def _add_bands(fig: go.Figure, bands: pd.DataFrame, rel: np.ndarray, dates: np.ndarray) -> None:
    """The 5–95% and 25–75% bands (filled between their bounds) and the median line."""
    for (lo, hi), opacity in (((0.05, 0.95), 0.15), ((0.25, 0.75), 0.3)):
        name = f"{lo:.0%}–{hi:.0%} of firms"
        fig.add_scatter(
            x=rel,
            y=bands[lo].to_numpy(),
            mode="lines",
            line={"width": 0},
            legendgroup=name,
            showlegend=False,
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=rel,
            y=bands[hi].to_numpy(),
            name=name,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=BAND_COLOR.format(opacity),
            legendgroup=name,
            # Pairs of the lower bound (a number, for the hover's format) and the date.
            customdata=list(zip(bands[lo].tolist(), dates.tolist(), strict=True)),
            hovertemplate=(
                f"<b>{name}</b> %{{customdata[0]:.1f}}–%{{y:.1f}}<br>day %{{x}} · "
                "%{customdata[1]}<extra></extra>"
            ),
        )
    fig.add_scatter(
        x=rel,
        y=bands[0.5].to_numpy(),
        name="Median of firms",
        mode="lines",
        line={"width": 2.5, "color": BAND_COLOR.format(1)},
        customdata=dates,
        hovertemplate="<b>Median of firms</b> %{y:.1f}<br>day %{x} · %{customdata}<extra></extra>",
    )


def price_paths(
    prices: pd.DataFrame,
    *,
    day0: date | pd.Timestamp | str,
    headline: str | None = None,
    tickers: Sequence[str] | None = None,
    benchmark: str | None = "SPY",
    max_lines: int = 12,
    pinned: Sequence[str] = (),
    news: Sequence[NewsMarker] = (),
    band_above: int = BAND_ABOVE,
) -> go.Figure:
    """Prices around the event, each normalized to 100 at day −1.

    Parameters
    ----------
    prices
        Wide adjusted closes: index = consecutive trading sessions, one column per ticker.
    day0
        The resolved event session; a date missing from the index means the next session.
    headline
        News headline written (truncated) next to the event-day line.
    tickers
        Tickers to draw (default: every column). Unknown tickers are ignored.
    benchmark
        Column drawn as a dashed dark line, never dropped by ``max_lines``.
    max_lines
        At most this many firm lines; when there are more, the largest day-0 movers are kept.
    pinned
        Tickers always drawn when they have prices (e.g. the companies the article names); they
        count towards ``max_lines``.
    news
        Articles on the price paths (:func:`analytics.news.markers.news_markers`): one trace,
        ``"News"``, with a point on each drawn ticker's line at its marker's session, for
        sessions of the chart; the hover shows the headline and date, ``customdata`` the
        article's file name.
    band_above
        With more firms than this (with a day −1 price), the firms are drawn as quantile
        bands of their rebased prices (:func:`price_bands`: median, 25–75% and 5–95%) instead
        of the largest movers' lines; only the ``pinned`` tickers keep a line of their own.
        The subtitle states the rule.

    Returns
    -------
    go.Figure
        One line per ticker, x = relative trading day (dates in the hover).
    """
    title = "Prices around the event (day −1 = 100)"
    if max_lines < 1:
        raise SpecError(f"max_lines={max_lines!r} must be at least 1")
    # Sessions with no price at all (not yet traded, not yet fetched) would only stretch the axis.
    prices = prices.loc[prices.first_valid_index() : prices.last_valid_index()]
    if prices.empty:
        return empty_figure(title)
    index = pd.DatetimeIndex(pd.to_datetime(prices.index))
    pos0 = int(index.searchsorted(pd.Timestamp(day0)))
    if pos0 >= len(index):
        return empty_figure(title, "No prices on or after day 0")
    if pos0 == 0:
        return empty_figure(title, "No trading session before day 0 to normalize on")
    wanted = list(prices.columns) if tickers is None else [str(t) for t in tickers]
    bench = benchmark if benchmark in prices.columns else None
    firms = [t for t in dict.fromkeys(wanted) if t in prices.columns and t != bench]
    base = prices.iloc[pos0 - 1]
    priced = base[firms].astype("float64")
    usable = list(priced.index[(priced > 0).to_numpy()])
    dropped = len(firms) - len(usable)
    if not usable and bench is None:
        return empty_figure(title, "No price on day −1 to normalize on")
    columns = [*usable, *([bench] if bench else [])]
    normalized = prices[columns].astype("float64").div(base[columns].astype("float64")) * 100.0
    last = normalized[usable].ffill().iloc[-1]
    # The news is about day 0: keep the firms that moved most on it, not those that drifted most.
    event_move = normalized[usable].iloc[pos0].sub(100.0).abs().fillna(0.0)
    first = [t for t in dict.fromkeys(str(p) for p in pinned) if t in usable][:max_lines]
    banded = len(usable) > band_above
    movers = event_move.drop(first).sort_values(ascending=False, kind="stable").index
    shown = first if banded else [*first, *movers[: max_lines - len(first)]]
    # Legend order follows the lines' end points, top to bottom.
    ordered = last[shown].sort_values(ascending=False, kind="stable").index.tolist()

    rel = np.arange(len(index)) - pos0
    dates = index.strftime("%a %d %b %Y").to_numpy()
    notes = [f"Day 0 = {dates[pos0]}"]
    if bench:
        notes.append(f"dashed: {plain(bench)} (benchmark)")
    if banded:
        notes.append(
            f"{len(usable):,} firms in bands: median, 25–75%, 5–95% (over {band_above:,} firms)"
        )
    elif len(usable) > max_lines:
        notes.append(f"{max_lines} largest day-0 moves of {len(usable)} tickers")
    if dropped:
        notes.append(f"{dropped} without a day −1 price")
    fig = base_figure(title, " · ".join(notes))
    hover = "<b>%{fullData.name}</b> %{y:.1f}<br>day %{x} · %{customdata}<extra></extra>"
    if banded:
        _add_bands(fig, price_bands(normalized[usable]), rel, dates)
    for ticker in ordered:
        fig.add_scatter(
            x=rel,
            y=normalized[ticker].to_numpy(),
            name=plain(ticker),
            mode="lines",
            line={"width": 2},
            customdata=dates,
            hovertemplate=hover,
            connectgaps=False,
        )
    if bench:
        fig.add_scatter(
            x=rel,
            y=normalized[bench].to_numpy(),
            name=f"{plain(bench)} (benchmark)",
            mode="lines",
            line={"width": 3, "dash": "dash", "color": BENCHMARK_COLOR},
            customdata=dates,
            hovertemplate=hover,
        )
    _add_news(fig, news, normalized[[*ordered, *([bench] if bench else [])]], rel, dates)
    fig.add_hline(y=100, line={"color": NEUTRAL, "width": 1, "dash": "dot"})
    fig.add_vline(x=0, line={"color": MUTED, "width": 1.5})
    # Centre the label on the event line unless it sits near an edge of the plot: a label
    # starting at day 0 of a symmetric window runs into the legend on the right.
    share = (0 - rel[0]) / max(rel[-1] - rel[0], 1)
    anchor = "left" if share < 0.3 else "right" if share > 0.7 else "center"
    fig.add_annotation(
        x=0,
        y=1,
        xref="x",
        yref="paper",
        yanchor="top",
        xanchor=anchor,
        xshift={"left": 6, "right": -6, "center": 0}[anchor],
        text=f"<b>Day 0</b>{': ' + plain(_truncate(headline, 50)) if headline else ''}",
        showarrow=False,
        align="left",
        bgcolor="rgba(255,255,255,0.85)",
        font={"size": FONT_SIZE - 1},
    )
    fig.update_layout(
        xaxis={
            "title": {"text": "Trading days relative to the event"},
            "zeroline": False,
            "range": [rel[0] - 0.5, rel[-1] + 0.5],
        },
        yaxis={"title": {"text": "Price (day −1 = 100)"}},
        legend={"tracegroupgap": 0},
    )
    return fig
