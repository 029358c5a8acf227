"""Pure figure builders: tidy result frames in, one styled ``go.Figure`` out.

The same builders feed the dashboard's callbacks, the PNG export and the scheduled refresh, so a
chart looks the same everywhere. Every builder takes the engine's tidy frames (see
``analytics.result.StudyResult``) plus keyword-only options, never mutates its inputs, and returns
a figure with a centered "No data for this selection" note instead of raising when the selection
is empty. Returns and abnormal returns are plotted as fractions with percent tick formats, so
``fig.data`` holds the engine's numbers unchanged.

Plotly reads ``<a href>``, ``<span style>``, ``<b>`` ... in any text as markup, in the browser and
in PNG/SVG exports. Every text that comes from outside (headlines, tickers, sectors) therefore
goes through :func:`_plain`, which escapes it; only the builders' own templates hold markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Protocol

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.errors import DataError, SpecError
from app.theme import (
    BENCHMARK_COLOR,
    DIVERGING_SCALE,
    FONT_SIZE,
    INSIGNIFICANT_OPACITY,
    MUTED,
    NEUTRAL,
    TEMPLATE,
    sign_color,
)

__all__ = [
    "FIGURE_NAMES",
    "NO_DATA",
    "SURVIVORSHIP_NOTE",
    "TEST_LABELS",
    "StudyFrames",
    "abnormal_returns_bar",
    "all_figures",
    "caar_path",
    "describe_test",
    "dollar_impact_bar",
    "format_p",
    "format_usd",
    "parse_window",
    "price_paths",
    "sector_treemap",
    "test_statistics_table",
    "window_label",
]

NO_DATA = "No data for this selection"
SURVIVORSHIP_NOTE = "Only firms listed today: delisted firms are missing (survivorship bias)"
FIGURE_NAMES: tuple[str, ...] = (
    "price_paths",
    "abnormal_returns",
    "caar",
    "sector_treemap",
    "dollar_impact",
    "tests",
)
"""Stable keys of :func:`all_figures`, also used as export file names."""

TEST_LABELS: dict[str, str] = {
    "cs_t": "Cross-sectional t",
    "patell_z": "Patell Z",
    "bmp_t": "BMP t",
    "kp_bmp_t": "Kolari–Pynnönen BMP t",
    "portfolio_t": "Portfolio t",
    "gen_sign_z": "Generalized sign Z",
    "corrado_z": "Corrado rank Z",
    "wilcoxon": "Wilcoxon W",
    "placebo": "Placebo",
}
"""Display names of the engine's test keys, in the order the table lists them."""

_TEST_SUBJECTS: dict[str, str] = {
    "gen_sign_z": "the balance of gainers and losers",
    "corrado_z": "the rank pattern of abnormal returns",
    "wilcoxon": "the median abnormal return",
}
_DEFAULT_SUBJECT = "the average abnormal return"
_Z95 = 1.96
_MINUS = "\u2212"


class StudyFrames(Protocol):
    """What :func:`all_figures` reads from a study result (``StudyResult`` satisfies it)."""

    @property
    def firms(self) -> pd.DataFrame:
        """One row per event and firm: ``day0``, ``status``, model estimates."""
        ...

    @property
    def days(self) -> pd.DataFrame:
        """One row per event, firm and relative day: ``ar``, ``sar``."""
        ...

    @property
    def windows(self) -> pd.DataFrame:
        """One row per event, firm and window: ``car``, ``p``, ``dollar_impact``."""
        ...

    @property
    def aar(self) -> pd.DataFrame:
        """One row per window and day: ``aar``, ``caar``, ``caar_se``."""
        ...

    @property
    def tests(self) -> pd.DataFrame:
        """One row per window and test: ``stat``, ``p``."""
        ...


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------

_USD_UNITS: tuple[tuple[float, str, str], ...] = (
    (1e12, "T", "trillion"),
    (1e9, "B", "billion"),
    (1e6, "M", "million"),
    (1e3, "K", "thousand"),
)


def _signed(text: str, negative: bool) -> str:
    return f"{_MINUS}{text}" if negative else text


def format_usd(x: float, *, long: bool = False) -> str:
    """Format a dollar amount compactly: ``"$1.2T"``, ``"$345B"``, ``"−$12.3M"``.

    Parameters
    ----------
    x
        Amount in US dollars; NaN gives ``"n/a"``.
    long
        Spell the unit out with three significant digits (``"$1.23 trillion"``).

    Examples
    --------
    >>> format_usd(1.234e12), format_usd(-345e9), format_usd(12.34e6, long=True)
    ('$1.2T', '−$345B', '$12.3 million')
    """
    if not math.isfinite(x):
        return "n/a"
    v = abs(x)
    for i, (scale, short, word) in enumerate(_USD_UNITS):
        if v < scale:
            continue
        scaled = v / scale
        if long:
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
        else:
            digits = 1 if round(scaled, 1) < 100 else 0
        text = f"{scaled:.{digits}f}"
        if float(text) >= 1000 and i > 0:
            # 999.96B rounds to "1000B": say "$1.0T" instead.
            return format_usd(math.copysign(_USD_UNITS[i - 1][0], x), long=long)
        return _signed(f"${text} {word}" if long else f"${text}{short}", x < 0)
    text = f"{v:,.0f}"
    return _signed(f"${text}", x < 0 and text != "0")


def format_p(p: float) -> str:
    """Format a p-value for humans: ``"p < 0.001"``, ``"p = 0.034"``, ``"p = 0.42"``.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0342), format_p(0.4213)
    ('p < 0.001', 'p = 0.034', 'p = 0.42')
    """
    if not math.isfinite(p):
        return "p n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def _fmt_pct(x: float, digits: int = 1) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{abs(x) * 100:.{digits}f}%"
    return f"{_MINUS}{text}" if x < 0 and float(text[:-1]) != 0 else f"+{text}"


def _fmt_num(x: float, digits: int) -> str:
    text = f"{abs(x):.{digits}f}"
    return f"{_MINUS}{text}" if x < 0 and float(text) != 0 else text


def _stars(p: float) -> str:
    if not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def _reading(p: float) -> str:
    if p < 0.001:
        return "very unlikely to be noise"
    if p < 0.01:
        return "unlikely to be noise"
    if p < 0.05:
        return "probably not noise (significant at 5%)"
    if p < 0.10:
        return "borderline (weak evidence, could be noise)"
    return "consistent with noise"


def describe_test(name: str, stat: float, p: float) -> str:
    """Read one significance test in plain language.

    Parameters
    ----------
    name
        The engine's test key (``"patell_z"``, ``"wilcoxon"``, ...; see :data:`TEST_LABELS`).
    stat, p
        The statistic and its two-sided p-value.

    Examples
    --------
    >>> describe_test("patell_z", -4.1, 0.00004)
    'Patell Z = −4.1 (p < 0.001): the average abnormal return is very unlikely to be noise'
    """
    label = TEST_LABELS.get(name, name)
    if not (math.isfinite(stat) and math.isfinite(p)):
        return f"{label}: not available for this selection"
    stat_text = _fmt_num(stat, 0 if name == "wilcoxon" else 1)
    subject = _TEST_SUBJECTS.get(name, _DEFAULT_SUBJECT)
    return f"{label} = {stat_text} ({format_p(p)}): {subject} is {_reading(p)}"


# --------------------------------------------------------------------------------------------
# Windows and frame selection
# --------------------------------------------------------------------------------------------


def parse_window(key: str) -> tuple[int, int]:
    """Parse a window key such as ``"-1:1"`` or ``"-5:+5"`` into inclusive relative days.

    Examples
    --------
    >>> parse_window("-1:+1")
    (-1, 1)
    """
    try:
        a_text, b_text = str(key).split(":")
        a, b = int(a_text), int(b_text)
    except ValueError:
        raise SpecError(
            f"window={key!r} is not a window key; use 'a:b' with integer days, e.g. '-1:1'"
        ) from None
    if a > b:
        raise SpecError(f"window={key!r} starts after it ends; use 'a:b' with a <= b")
    return a, b


def window_label(key: str) -> str:
    """Human label of a window key: ``"-1:1"`` → ``"[−1, +1]"``, ``"0:0"`` → ``"day 0"``."""
    a, b = parse_window(key)
    if a == b:
        return f"day {_fmt_day(a)}"
    return f"[{_fmt_day(a)}, {_fmt_day(b)}]"


def _fmt_day(d: int) -> str:
    return f"{_MINUS}{-d}" if d < 0 else f"+{d}" if d > 0 else "0"


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame):
        raise DataError(f"{name} frame lacks columns {missing}; pass the study result's {name}")


def _in_window(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows of ``frame`` whose ``window`` key means the same days as ``key``."""
    if frame.empty or "window" not in frame.columns:
        return frame.iloc[0:0]
    target = parse_window(key)
    keys = {k: parse_window(str(k)) == target for k in frame["window"].dropna().unique()}
    return frame[frame["window"].map(keys).fillna(False).astype(bool)]


def _is_ok(status: pd.Series) -> pd.Series:
    return status.astype("string").fillna("").str.strip().eq("ok")


def _plain(text: object) -> str:
    """``text`` as plotly shows it literally: ``&``, ``<`` and ``>`` escaped, so markup in an
    article or a ticker (``<a href>``, ``<span style>``) stays text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _firm_labels(rows: pd.DataFrame) -> list[str]:
    """Ticker labels (escaped); a ticker in several firm-events is qualified by its event id."""
    tickers = rows["ticker"].astype(str).map(_plain)
    repeated = tickers.duplicated(keep=False).to_numpy()
    if not repeated.any() or "event_id" not in rows.columns:
        return tickers.tolist()
    ids = rows["event_id"].astype(str).map(_plain)
    return [f"{t} #{e}" if r else t for t, e, r in zip(tickers, ids, repeated, strict=True)]


# --------------------------------------------------------------------------------------------
# Shared layout pieces
# --------------------------------------------------------------------------------------------


def _base(title: str, subtitle: str | None = None) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "subtitle": {"text": subtitle or ""}},
    )
    return fig


def _empty(title: str, message: str = NO_DATA) -> go.Figure:
    fig = _base(title)
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


def _footnote(fig: go.Figure, text: str, *, below_axis: bool = True) -> None:
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


def _padded_range(values: np.ndarray, pad: float = 0.22) -> list[float]:
    """Axis range including zero with room for outside bar labels on both sides."""
    lo = min(0.0, float(np.nanmin(values)))
    hi = max(0.0, float(np.nanmax(values)))
    span = (hi - lo) or max(abs(hi), abs(lo), 1e-4)
    return [lo - pad * span if lo < 0 else lo, hi + pad * span if hi > 0 else hi]


def _nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2 or 5 × 10^k steps) covering ``[lo, hi]``."""
    raw = (hi - lo) / target
    if not raw > 0:
        return [lo]
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step)
    return [k * step for k in range(first, math.floor(hi / step) + 1)]


def _bar_height(n: int) -> int | None:
    """Figure height that gives each of ``n`` horizontal bars at least ~20 px."""
    return None if n <= 20 else 200 + 20 * n


# --------------------------------------------------------------------------------------------
# 1. Price paths
# --------------------------------------------------------------------------------------------


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def price_paths(
    prices: pd.DataFrame,
    *,
    day0: date | pd.Timestamp | str,
    headline: str | None = None,
    tickers: Sequence[str] | None = None,
    benchmark: str | None = "SPY",
    max_lines: int = 12,
    pinned: Sequence[str] = (),
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
        return _empty(title)
    index = pd.DatetimeIndex(pd.to_datetime(prices.index))
    pos0 = int(index.searchsorted(pd.Timestamp(day0)))
    if pos0 >= len(index):
        return _empty(title, "No prices on or after day 0")
    if pos0 == 0:
        return _empty(title, "No trading session before day 0 to normalize on")
    wanted = list(prices.columns) if tickers is None else [str(t) for t in tickers]
    bench = benchmark if benchmark in prices.columns else None
    firms = [t for t in dict.fromkeys(wanted) if t in prices.columns and t != bench]
    base = prices.iloc[pos0 - 1]
    usable = [t for t in firms if pd.notna(base[t]) and base[t] > 0]
    dropped = len(firms) - len(usable)
    if not usable and bench is None:
        return _empty(title, "No price on day −1 to normalize on")
    columns = [*usable, *([bench] if bench else [])]
    normalized = prices[columns].astype("float64").div(base[columns].astype("float64")) * 100.0
    last = normalized[usable].ffill().iloc[-1]
    # The news is about day 0: keep the firms that moved most on it, not those that drifted most.
    event_move = normalized[usable].iloc[pos0].sub(100.0).abs().fillna(0.0)
    first = [t for t in dict.fromkeys(str(p) for p in pinned) if t in usable][:max_lines]
    movers = event_move.drop(first).sort_values(ascending=False, kind="stable").index
    shown = [*first, *movers[: max_lines - len(first)]]
    # Legend order follows the lines' end points, top to bottom.
    ordered = last[shown].sort_values(ascending=False, kind="stable").index.tolist()

    rel = np.arange(len(index)) - pos0
    dates = index.strftime("%a %d %b %Y").to_numpy()
    notes = [f"Day 0 = {dates[pos0]}"]
    if bench:
        notes.append(f"dashed: {_plain(bench)} (benchmark)")
    if len(usable) > max_lines:
        notes.append(f"{max_lines} largest day-0 moves of {len(usable)} tickers")
    if dropped:
        notes.append(f"{dropped} without a day −1 price")
    fig = _base(title, " · ".join(notes))
    hover = "<b>%{fullData.name}</b> %{y:.1f}<br>day %{x} · %{customdata}<extra></extra>"
    for ticker in ordered:
        fig.add_scatter(
            x=rel,
            y=normalized[ticker].to_numpy(),
            name=_plain(ticker),
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
            name=f"{_plain(bench)} (benchmark)",
            mode="lines",
            line={"width": 3, "dash": "dash", "color": BENCHMARK_COLOR},
            customdata=dates,
            hovertemplate=hover,
        )
    fig.add_hline(y=100, line={"color": NEUTRAL, "width": 1, "dash": "dot"})
    fig.add_vline(x=0, line={"color": MUTED, "width": 1.5})
    # Write the headline on the side of the event line with more room.
    right_side = rel[-1] > 0 and (0 - rel[0]) / max(rel[-1] - rel[0], 1) > 0.5
    fig.add_annotation(
        x=0,
        y=1,
        xref="x",
        yref="paper",
        yanchor="top",
        xanchor="right" if right_side else "left",
        xshift=-6 if right_side else 6,
        text=f"<b>Day 0</b>{': ' + _plain(_truncate(headline, 50)) if headline else ''}",
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


# --------------------------------------------------------------------------------------------
# 2. Per-firm abnormal returns
# --------------------------------------------------------------------------------------------


def _firm_values(days: pd.DataFrame, windows: pd.DataFrame, key: str) -> tuple[pd.DataFrame, int]:
    """Per-firm ``value`` and ``p`` for a window, and how many firms the window excluded."""
    _check_columns(windows, ["ticker", "window", "car", "p", "status"], "windows")
    _check_columns(days, ["ticker", "day", "ar"], "days")
    rows = _in_window(windows, key)
    ok = rows[_is_ok(rows["status"])] if len(rows) else rows
    if len(ok):
        out = pd.DataFrame(
            {
                "label": _firm_labels(ok),
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
                "label": _firm_labels(day),
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
        return _empty(title)
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
    notes = [f"{n} firms"]
    if excluded:
        notes.append(f"{excluded} excluded")
    if n > max_bars:
        notes.append(f"showing the {max_bars - low} highest and {low} lowest")
    fig = _base(title, " · ".join(notes))
    fig.add_bar(
        x=x,
        y=values["label"].tolist(),
        orientation="h",
        marker={
            "color": [sign_color(v) for v in x],
            "opacity": np.where(significant, 1.0, INSIGNIFICANT_OPACITY).tolist(),
        },
        text=[f"{_fmt_pct(v)} {_stars(q)}".rstrip() for v, q in zip(x, p, strict=True)],
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
            "range": _padded_range(x),
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
        height=_bar_height(len(values)),
    )
    if np.isfinite(p).any():
        _footnote(
            fig,
            f"Faded: not significant (p ≥ {alpha:g}, firm-level t). "
            "*** p < 0.01 · ** p < 0.05 · * p < 0.10",
        )
    return fig


# --------------------------------------------------------------------------------------------
# 3. CAAR path
# --------------------------------------------------------------------------------------------


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


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
    _check_columns(aar, ["window", "day", "n", "aar", "caar", "caar_se"], "aar")
    rows = _in_window(aar, window)
    if rows.empty or rows["caar"].isna().all():
        return _empty(title)
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
        f"CAAR {window_label(window)} = {_fmt_pct(final, 2)} over {int(np.nanmax(n))} firms · "
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
        fillcolor=_rgba(color, 0.18),
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


# --------------------------------------------------------------------------------------------
# 4. Sector treemap and dollar impact
# --------------------------------------------------------------------------------------------


def _ok_window_rows(windows: pd.DataFrame, window: str, value: str) -> pd.DataFrame:
    """Included firms of a window that have a ``value``."""
    _check_columns(windows, ["ticker", "window", "status", value], "windows")
    rows = _in_window(windows, window)
    if rows.empty:
        return rows
    return rows[_is_ok(rows["status"]) & rows[value].notna()]


def sector_treemap(
    windows: pd.DataFrame,
    sectors: pd.Series,
    market_caps: pd.Series,
    *,
    window: str,
) -> go.Figure:
    """Treemap of CAR by sector and firm, sized by market value, colored red/blue around 0.

    Parameters
    ----------
    windows
        The study's per-window frame; a firm in several events shows its mean CAR.
    sectors
        Ticker → sector; firms without one go under "Unknown".
    market_caps
        Ticker → market value in USD. Firms without one are sized at the median known value;
        with no known value at all, every firm has the same size.
    window
        Window key.

    Returns
    -------
    go.Figure
        One treemap trace; sector tiles hold the size-weighted mean CAR of their firms.
    """
    title = f"CAR {window_label(window)} by sector and firm"
    rows = _ok_window_rows(windows, window, "car")
    if rows.empty:
        return _empty(title)
    car = rows.groupby(rows["ticker"].astype(str), sort=True)["car"].mean().astype("float64")
    tickers = car.index
    sector = (
        sectors.rename(index=str).reindex(tickers).astype("string").fillna("Unknown").to_numpy()
    )
    caps = pd.to_numeric(market_caps.rename(index=str).reindex(tickers), errors="coerce")
    known = caps.notna() & (caps > 0)
    notes = []
    if known.any():
        size = caps.where(known, float(caps[known].median()))
        if (~known).any():
            notes.append(f"{int((~known).sum())} firms without market value: median size")
        size_label = "size: market value"
    else:
        size = pd.Series(1.0, index=tickers)
        size_label = "equal sizes (no market values)"
    leaves = pd.DataFrame(
        {"sector": sector, "ticker": tickers, "car": car.to_numpy(), "size": size.to_numpy()}
    )
    sector_size = leaves.groupby("sector", sort=True)["size"].sum()
    weighted = (leaves["car"] * leaves["size"]).groupby(leaves["sector"], sort=True).sum()
    sector_car = weighted / sector_size
    limit = max(float(np.nanquantile(np.abs(leaves["car"]), 0.95)), 0.005)
    total = float(sector_size.sum())
    total_car = float(weighted.sum() / total)
    sector_names = [_plain(s) for s in sector_size.index]
    leaf_sectors = [_plain(s) for s in leaves["sector"]]
    leaf_tickers = [_plain(t) for t in leaves["ticker"]]
    ids = [
        "all",
        *(f"all/{s}" for s in sector_names),
        *(f"all/{s}/{t}" for s, t in zip(leaf_sectors, leaf_tickers, strict=True)),
    ]
    labels = ["All firms", *sector_names, *leaf_tickers]
    parents = ["", *("all" for _ in sector_names), *(f"all/{s}" for s in leaf_sectors)]
    sizes = np.concatenate([[total], sector_size.to_numpy(), leaves["size"].to_numpy()])
    colors = np.concatenate([[total_car], sector_car.to_numpy(), leaves["car"].to_numpy()])
    mv = [format_usd(v) if known.any() else "n/a" for v in [total, *sector_size.to_numpy()]] + [
        format_usd(v) if k else "n/a" for v, k in zip(leaves["size"], known, strict=True)
    ]
    # Firms under 0.25% of the map get no label (hover still tells): their text would be
    # shrunk below legibility.
    legible = np.concatenate(
        [np.ones(1 + len(sector_size), bool), leaves["size"] / total >= 0.0025]
    )
    fig = _base(title, " · ".join([f"{len(leaves)} firms", size_label, *notes]))
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
        text=[_fmt_pct(v) for v in colors],
        customdata=mv,
        texttemplate=["<b>%{label}</b><br>%{text}" if ok else " " for ok in legible],
        hovertemplate=(
            "<b>%{label}</b><br>CAR %{color:.2%}<br>market value %{customdata}<extra></extra>"
        ),
        textfont={"size": FONT_SIZE},
        tiling={"pad": 2},
        pathbar={"visible": False},
        sort=True,
        name="",
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 100, "b": 50})
    _footnote(fig, SURVIVORSHIP_NOTE, below_axis=False)
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
        return _empty(f"Estimated value change, {window_label(window)}")
    values = pd.DataFrame(
        {"label": _firm_labels(rows), "usd": rows["dollar_impact"].astype("float64").to_numpy()}
    )
    total = float(values["usd"].sum())
    losers = values[values["usd"] < 0].nsmallest(top, "usd", keep="first")
    gainers = values[values["usd"] > 0].nlargest(top, "usd", keep="first")
    shown = pd.concat([losers, gainers]).sort_values("usd", kind="stable")
    title = f"Estimated value change: {format_usd(total, long=True)}"
    subtitle = (
        f"Sum over {len(values)} firms of abnormal return × market value, {window_label(window)}"
        f" · top {top} losers and gainers"
    )
    fig = _base(title, subtitle)
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
            "range": (span := _padded_range(x)),
            "tickvals": (ticks := _nice_ticks(span[0], span[1])),
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
        height=max(_bar_height(len(shown)) or 0, 180 + 26 * len(shown)),
    )
    _footnote(fig, SURVIVORSHIP_NOTE)
    return fig


# --------------------------------------------------------------------------------------------
# 5. Test statistics
# --------------------------------------------------------------------------------------------


_READING_CHARS_PER_LINE = 42
"""Characters of a reading that fit on one table line at the dashboard's narrowest width."""


def test_statistics_table(tests: pd.DataFrame, *, window: str, alpha: float = 0.05) -> go.Figure:
    """Table of the cross-sectional significance tests with a plain-language reading.

    Parameters
    ----------
    tests
        The study's ``tests`` frame (window, test, stat, p).
    window
        Window key.
    alpha
        Rows with p below ``alpha`` are tinted by the sign of their statistic.

    Returns
    -------
    go.Figure
        One ``go.Table``: test, statistic, p-value, reading (see :func:`describe_test`).
    """
    title = f"Is it real or noise? Tests for CAAR {window_label(window)}"
    _check_columns(tests, ["window", "test", "stat", "p"], "tests")
    rows = _in_window(tests, window)
    if rows.empty:
        return _empty(title)
    order = {name: i for i, name in enumerate(TEST_LABELS)}
    rows = rows.assign(_order=rows["test"].map(order).fillna(len(order))).sort_values(
        ["_order", "test"], kind="stable"
    )
    names = rows["test"].astype(str).tolist()
    stats = rows["stat"].astype("float64").tolist()
    ps = rows["p"].astype("float64").tolist()
    readings = []
    fills = []
    for name, stat, p in zip(names, stats, ps, strict=True):
        sentence = describe_test(name, stat, p)
        readings.append(sentence.split(": ", 1)[1] if ": " in sentence else sentence)
        significant = math.isfinite(p) and math.isfinite(stat) and p < alpha
        # Wilcoxon's W is a rank sum, always positive: it carries no direction.
        tint = _rgba(NEUTRAL, 0.2) if name == "wilcoxon" else _rgba(sign_color(stat), 0.12)
        fills.append(tint if significant else "white")
    fig = _base(title, f"Two-sided p-values · tinted: p < {alpha:g}, red/blue = direction")
    fig.add_table(
        columnwidth=[1.5, 0.9, 0.9, 3.4],
        header={
            "values": ["<b>Test</b>", "<b>Statistic</b>", "<b>p-value</b>", "<b>Reading</b>"],
            "fill": {"color": "#f1f3f4"},
            "line": {"color": "#dadce0"},
            "align": ["left", "right", "right", "left"],
            "font": {"size": FONT_SIZE},
            "height": 34,
        },
        cells={
            "values": [
                [TEST_LABELS.get(n, n) for n in names],
                [
                    _fmt_num(s, 0 if n == "wilcoxon" else 2) if math.isfinite(s) else "n/a"
                    for n, s in zip(names, stats, strict=True)
                ],
                [format_p(p).removeprefix("p ").removeprefix("= ") for p in ps],
                readings,
            ],
            "fill": {"color": [fills]},
            "line": {"color": "#e8eaed"},
            "align": ["left", "right", "right", "left"],
            "font": {"size": FONT_SIZE},
            "height": 32,
        },
    )
    # Readings wrap in narrow containers (the dashboard's right column): budget their lines so
    # the last rows are never clipped.
    lines = [max(1, math.ceil(len(r) / _READING_CHARS_PER_LINE)) for r in readings]
    fig.update_layout(
        margin={"l": 20, "r": 20, "t": 100, "b": 20},
        height=100 + 34 + sum(12 + 20 * n for n in lines) + 40,
    )
    return fig


# --------------------------------------------------------------------------------------------
# All figures of a study
# --------------------------------------------------------------------------------------------


def _event_day0(firms: pd.DataFrame) -> pd.Timestamp | None:
    if firms.empty or "day0" not in firms.columns:
        return None
    day0 = pd.to_datetime(firms["day0"]).dropna()
    return None if day0.empty else pd.Timestamp(day0.mode().iloc[0])


def all_figures(
    result: StudyFrames,
    *,
    window: str,
    headline: str | None = None,
    prices: pd.DataFrame | None = None,
    day0: date | pd.Timestamp | str | None = None,
    sectors: pd.Series | None = None,
    market_caps: pd.Series | None = None,
    benchmark: str | None = "SPY",
) -> dict[str, go.Figure]:
    """Every chart of a study, keyed by :data:`FIGURE_NAMES`.

    Parameters
    ----------
    result
        A study result (``firms``, ``days``, ``windows``, ``aar``, ``tests`` frames).
    window
        Window key for the window-based charts.
    headline
        News headline for the price chart.
    prices
        Wide adjusted closes for the price chart (tickers and benchmark as columns).
    day0
        Event session for the price chart; default: the most common ``day0`` in ``firms``.
    sectors, market_caps
        Ticker → sector and ticker → market value for the treemap.
    benchmark
        Benchmark column of ``prices``.
    """
    event_day = day0 if day0 is not None else _event_day0(result.firms)
    if prices is None or event_day is None:
        paths = _empty("Prices around the event (day −1 = 100)", "No price data for this study")
    else:
        paths = price_paths(prices, day0=event_day, headline=headline, benchmark=benchmark)
    empty_series = pd.Series(dtype="float64")
    return {
        "price_paths": paths,
        "abnormal_returns": abnormal_returns_bar(result.days, result.windows, window=window),
        "caar": caar_path(result.aar, window=window),
        "sector_treemap": sector_treemap(
            result.windows,
            sectors if sectors is not None else empty_series,
            market_caps if market_caps is not None else empty_series,
            window=window,
        ),
        "dollar_impact": dollar_impact_bar(result.windows, window=window),
        "tests": test_statistics_table(result.tests, window=window),
    }
