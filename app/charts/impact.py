"""Where the value went: the sector treemap (sized by market value) and the dollar impact bars."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.errors import SpecError
from app.charts.base import (
    SURVIVORSHIP_NOTE,
    add_footnote,
    bar_height,
    base_figure,
    check_columns,
    empty_figure,
    firm_labels,
    in_window,
    is_ok,
    nice_ticks,
    padded_range,
)
from app.charts.formatting import format_usd, pct, plain, value_words, window_label
from app.charts.theme import DIVERGING_SCALE, FONT_SIZE, sign_color

__all__ = ["TREEMAP_FIRMS", "dollar_impact_bar", "sector_treemap", "treemap_tiles"]

_TWO_LINE_TITLE_TOP = 124
"""Top margin (px) of a chart whose title takes two lines (the theme's 100 fits one)."""


def _ok_window_rows(windows: pd.DataFrame, window: str, value: str) -> pd.DataFrame:
    """Included firms of a window that have a ``value``."""
    check_columns(windows, ["ticker", "window", "status", value], "windows")
    rows = in_window(windows, window)
    if rows.empty:
        return rows
    return rows[is_ok(rows["status"]) & rows[value].notna()]


def _known_value(values: pd.Series) -> str:
    """Sum of the known market values of a tile's firms, saying how many have none."""
    missing = int(values.isna().sum())
    if missing == len(values):
        return "n/a"
    text = format_usd(float(values.sum()))
    return f"{text} (+{missing} without)" if missing else text


TREEMAP_FIRMS = 200
"""Firms the sector treemap draws one by one; beyond them, one tile per sector holds the rest."""


def _tile_value(value: float, unknown: int, *, median: float, others: bool) -> str:
    """A firm tile's market value, or an ``others`` tile's known sum and how many lack one."""
    if not others:
        known = np.isfinite(value)
        return format_usd(value) if known else f"n/a (drawn at the median, {format_usd(median)})"
    if not np.isfinite(value):
        return "n/a"
    return f"{format_usd(value)} (+{unknown:,} without)" if unknown else format_usd(value)


def treemap_tiles(leaves: pd.DataFrame, max_firms: int) -> pd.DataFrame:
    """The firm tiles of the treemap: every firm of ``leaves`` when they are at most
    ``max_firms``, else the ``max_firms`` largest (known market value first, then size, then
    ticker) and, per sector, one ``others`` tile of the rest.

    ``leaves`` has one row per firm: ``sector``, ``ticker``, ``car``, ``size`` and ``value``
    (the known market value, NaN when none). An ``others`` tile has the sum of its firms'
    sizes and known values (NaN when none is known), the size-weighted mean of their CARs,
    its firm count in ``firms``, how many of them have no market value in ``unknown`` and
    ``ticker`` None.
    """
    out = leaves.assign(firms=1, unknown=leaves["value"].isna().astype("int64"))
    if len(leaves) <= max_firms:
        return out
    order = np.lexsort(
        (
            leaves["ticker"].to_numpy(dtype=str),
            -leaves["size"].to_numpy(dtype="float64"),
            -leaves["value"].fillna(-np.inf).to_numpy(dtype="float64"),
        )
    )
    shown = np.zeros(len(leaves), dtype=bool)
    shown[order[:max_firms]] = True
    rest = out[~shown]
    by_sector = rest.assign(weighted=rest["car"] * rest["size"]).groupby("sector", sort=True)
    others = pd.DataFrame(
        {
            "size": by_sector["size"].sum(),
            "weighted": by_sector["weighted"].sum(),
            "value": by_sector["value"].sum(min_count=1),
            "firms": by_sector["firms"].sum(),
            "unknown": by_sector["unknown"].sum(),
        }
    )
    others["car"] = others.pop("weighted") / others["size"]
    others = others.reset_index().assign(ticker=None)
    return pd.concat([out[shown], others[out.columns]], ignore_index=True)


def sector_treemap(
    windows: pd.DataFrame,
    sectors: pd.Series,
    market_caps: pd.Series,
    *,
    window: str,
    max_firms: int = TREEMAP_FIRMS,
) -> go.Figure:
    """Treemap of CAR by sector and firm, sized by market value, colored red/blue around 0.

    Parameters
    ----------
    windows
        The study's per-window frame; a firm in several events shows its mean CAR.
    sectors
        Ticker → sector; firms without one go under "Unknown".
    market_caps
        Ticker → market value in USD. Firms without one are drawn at the median known value
        (the subtitle says so and gives it; hovers and sector totals sum known values only);
        with no known value at all, every firm has the same size.
    window
        Window key.
    max_firms
        With more firms, the ``max_firms`` largest are drawn one by one and the others of each
        sector as one tile ("1,234 more firms", see :func:`treemap_tiles`); a click on a sector
        opens it (plotly's drill-down; the path bar above leads back).

    Firms without a market value are drawn at the median known value, unless they are most of
    the firms: then they are left out of the map, and the subtitle counts them and gives
    their mean CAR.

    Returns
    -------
    go.Figure
        One treemap trace; sector tiles hold the size-weighted mean CAR of their firms.
    """
    if max_firms < 1:
        raise SpecError(f"max_firms={max_firms!r} must be at least 1, e.g. {TREEMAP_FIRMS}")
    title = f"CAR {window_label(window)} by sector and firm"
    rows = _ok_window_rows(windows, window, "car")
    if rows.empty:
        return empty_figure(title)
    car = rows.groupby(rows["ticker"].astype(str), sort=True)["car"].mean().astype("float64")
    tickers = car.index
    sector = (
        sectors.rename(index=str).reindex(tickers).astype("string").fillna("Unknown").to_numpy()
    )
    caps = pd.to_numeric(market_caps.rename(index=str).reindex(tickers), errors="coerce")
    known = caps.notna() & (caps > 0)
    notes = []
    drawn = len(tickers)
    if known.any() and int((~known).sum()) > len(known) / 2:
        # Most firms without a market value (the all-US universe: the reference snapshot
        # values only the S&P 500): sized at the median known value they would fill the map
        # with imputed size, so they are left out of it and said.
        left = ~known.to_numpy()
        notes.append(
            f"{int(left.sum()):,} without a market value left out "
            f"(their mean CAR {pct(float(car[left].mean()), 2)})"
        )
        car, sector, caps = car[~left], sector[~left], caps[~left]
        tickers, known = car.index, known[~left]
    if known.any():
        median = float(caps[known].median())
        size = caps.where(known, median)
        if (~known).any():
            # The imputed size keeps these firms visible; it is said, and never summed into
            # a market value shown anywhere.
            unknown = int((~known).sum())
            notes.append(
                f"{unknown:,} firm{'' if unknown == 1 else 's'} without a market value drawn "
                f"at the median known value ({format_usd(median)})"
            )
        size_label = "size: market value at day −1"
    else:
        median = float("nan")
        size = pd.Series(1.0, index=tickers)
        size_label = "equal sizes (no market values)"
    leaves = pd.DataFrame(
        {
            "sector": sector,
            "ticker": tickers,
            "car": car.to_numpy(),
            "size": size.to_numpy(),
            "value": caps.where(known).to_numpy(),
        }
    )
    sector_size = leaves.groupby("sector", sort=True)["size"].sum()
    weighted = (leaves["car"] * leaves["size"]).groupby(leaves["sector"], sort=True).sum()
    sector_car = weighted / sector_size
    limit = max(float(np.nanquantile(np.abs(leaves["car"]), 0.95)), 0.005)
    total = float(sector_size.sum())
    total_car = float(weighted.sum() / total)
    sector_names = [plain(s) for s in sector_size.index]
    tiles = treemap_tiles(leaves, max_firms)
    grouped = tiles["ticker"].isna().to_numpy()
    leaf_sectors = [plain(s) for s in tiles["sector"]]
    leaf_tickers = [
        f"{n:,} more firms" if more else plain(t)
        for t, n, more in zip(tiles["ticker"], tiles["firms"], grouped, strict=True)
    ]
    ids = [
        "all",
        *(f"all/{s}" for s in sector_names),
        *(
            f"all/{s}/{'others' if more else t}"
            for s, t, more in zip(leaf_sectors, leaf_tickers, grouped, strict=True)
        ),
    ]
    labels = ["All firms", *sector_names, *leaf_tickers]
    parents = ["", *("all" for _ in sector_names), *(f"all/{s}" for s in leaf_sectors)]
    sizes = np.concatenate([[total], sector_size.to_numpy(), tiles["size"].to_numpy()])
    colors = np.concatenate([[total_car], sector_car.to_numpy(), tiles["car"].to_numpy()])
    by_sector = dict(iter(leaves.groupby("sector", sort=True)["value"]))
    mv = [
        _known_value(leaves["value"]),
        *(_known_value(by_sector[s]) for s in sector_size.index),
        *(
            _tile_value(v, int(unknown), median=median, others=bool(more))
            for v, unknown, more in zip(
                tiles["value"].astype("float64"), tiles["unknown"], grouped, strict=True
            )
        ),
    ]
    # Firms under 0.25% of the map get no label (hover still tells): their text would be
    # shrunk below legibility.
    legible = np.concatenate([np.ones(1 + len(sector_size), bool), tiles["size"] / total >= 0.0025])
    aggregated = bool(grouped.any())
    counted = f"{len(leaves):,} of {drawn:,} firms" if len(leaves) < drawn else f"{drawn:,} firms"
    subtitle = " · ".join([counted, size_label, *notes])
    if aggregated:  # on a line of its own: the map's rule at market scale
        subtitle += (
            f"<br>The {max_firms} largest firms apart, the others as one tile per sector · "
            "click a sector to open it"
        )
    fig = base_figure(title, subtitle)
    fig.add_treemap(
        ids=ids,
        labels=labels,
        parents=parents,
        values=sizes,
        branchvalues="total",
        marker={
            "colors": colors,
            "colorscale": DIVERGING_SCALE,
            "cmid": 0.0,
            "cmin": -limit,
            "cmax": limit,
            "line": {"color": "white", "width": 1},
            "colorbar": {"title": {"text": "CAR"}, "tickformat": ".0%", "thickness": 14},
            "pad": {"t": 24, "l": 3, "r": 3, "b": 3},
        },
        text=[pct(v) for v in colors],
        customdata=mv,
        texttemplate=["<b>%{label}</b><br>%{text}" if ok else " " for ok in legible],
        hovertemplate=(
            "<b>%{label}</b><br>CAR %{color:.2%}<br>market value %{customdata}<extra></extra>"
        ),
        textfont={"size": FONT_SIZE},
        tiling={"pad": 2},
        # The path bar leads back from a sector opened by a click (shown when aggregated).
        pathbar={"visible": aggregated, "thickness": 22},
        sort=True,
        name="",
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 100, "b": 50})
    add_footnote(fig, SURVIVORSHIP_NOTE, below_axis=False)
    return fig


def dollar_impact_bar(windows: pd.DataFrame, *, window: str, top: int = 10) -> go.Figure:
    """Largest estimated dollar losses and gains, titled with the total value change.

    Parameters
    ----------
    windows
        The study's per-window frame (``dollar_impact`` in USD, NaN when no market value).
    window
        Window key.
    top
        How many losers and how many gainers to show.

    Returns
    -------
    go.Figure
        Horizontal bars (losers at the bottom) and a survivorship-bias footnote.
    """
    if top < 1:
        raise SpecError(f"top={top!r} must be at least 1")
    rows = _ok_window_rows(windows, window, "dollar_impact")
    if rows.empty:
        return empty_figure(f"Estimated value change, {window_label(window)}")
    values = pd.DataFrame(
        {"label": firm_labels(rows), "usd": rows["dollar_impact"].astype("float64").to_numpy()}
    )
    total = float(values["usd"].sum())
    raw = (
        float(rows["value_change"].astype("float64").sum())
        if "value_change" in rows and rows["value_change"].notna().any()
        else math.nan
    )
    losers = values[values["usd"] < 0].nsmallest(top, "usd", keep="first")
    gainers = values[values["usd"] > 0].nlargest(top, "usd", keep="first")
    shown = pd.concat([losers, gainers]).sort_values("usd", kind="stable")
    # Two clauses (what the stocks lost; what the model did not predict) on two lines: one is
    # wider than a chart beside the article.
    title = f"These {len(values):,} stocks {value_words(raw, total, 'the model')}"
    title = title.replace("; ", ";<br>")
    subtitle = (
        f"Bars: abnormal value change (abnormal return × market value), {window_label(window)}"
        f" · top {top} losers and gainers"
    )
    fig = base_figure(title, subtitle)
    if "<br>" in title:
        fig.update_layout(margin_t=_TWO_LINE_TITLE_TOP)
    x = shown["usd"].to_numpy()
    fig.add_bar(
        x=x,
        y=shown["label"].tolist(),
        orientation="h",
        marker={"color": [sign_color(v) for v in x]},
        text=[format_usd(v) for v in x],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="<b>%{y}</b>: %{text}<extra></extra>",
        name="Value change",
    )
    fig.update_layout(
        xaxis={
            "title": {"text": "Estimated value change (USD)"},
            "range": (span := padded_range(x)),
            "tickvals": (ticks := nice_ticks(span[0], span[1])),
            "ticktext": [format_usd(v) for v in ticks],
            "zeroline": True,
            "zerolinecolor": "#616161",
        },
        # Every firm labelled: plotly would skip category labels when rows are tight.
        yaxis={
            "type": "category",
            "ticks": "",
            "tickmode": "array",
            "tickvals": shown["label"].tolist(),
        },
        bargap=0.25,
        showlegend=False,
        height=max(bar_height(len(shown)) or 0, 180 + 26 * len(shown)),
    )
    add_footnote(fig, SURVIVORSHIP_NOTE)
    return fig
