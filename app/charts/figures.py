"""The one chart list and the one study-figure assembly.

The dashboard, ``aftershock export`` and the refresh job all draw a study through this module:
:func:`load_inputs` reads what the charts need besides the result (prices around day 0, sectors,
market values at day −1) from the study service, and :func:`chart`, :func:`window_figures` and
:func:`study_figures` build the figures from the result and those inputs. The builders of each
chart family are pure functions in their own modules (:mod:`app.charts.prices`,
:mod:`~app.charts.abnormal`, :mod:`~app.charts.caar`, :mod:`~app.charts.impact`,
:mod:`~app.charts.significance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

import pandas as pd
import plotly.graph_objects as go

from analytics import calendar
from analytics.data.store import PriceStore
from analytics.errors import SpecError
from analytics.news.markers import NewsMarker
from analytics.study.engine import PriceProvider
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec
from app.charts.abnormal import abnormal_returns_bar
from app.charts.base import add_source_line, empty_figure
from app.charts.caar import caar_path
from app.charts.captions import data_sources, source_line
from app.charts.impact import dollar_impact_bar, sector_treemap
from app.charts.prices import price_paths
from app.charts.significance import test_statistics_table

__all__ = [
    "CHARTS",
    "CHART_SESSIONS",
    "ChartInputs",
    "ChartSource",
    "StudyFrames",
    "chart",
    "event_day0",
    "load_inputs",
    "price_span",
    "study_figures",
    "window_figures",
]

CHARTS: Final = (
    "price_paths",
    "abnormal_returns",
    "caar",
    "sector_treemap",
    "dollar_impact",
    "tests",
)
"""Every chart of a study, in page order; also the stems of exported file names."""

CHART_SESSIONS: Final = 10
"""Sessions of price path shown on each side of the event windows."""

_NO_PRICES = "No price data for this study"
_PRICE_TITLE = "Prices around the event (day −1 = 100)"


class StudyFrames(Protocol):
    """What the charts read from a study result (:class:`StudyResult` satisfies it)."""

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


class ChartSource(Protocol):
    """Where :func:`load_inputs` reads from: the study service (``analytics.Workspace``)."""

    @property
    def store(self) -> PriceStore | PriceProvider:
        """The prices the study ran on (``panel(tickers, start, end)``)."""
        ...

    def sectors(self, tickers: Sequence[str]) -> pd.Series:
        """Ticker → sector."""
        ...

    def market_values(self, result: StudyResult) -> pd.Series:
        """Ticker → market value on the session before each firm's day 0."""
        ...


@dataclass(frozen=True, kw_only=True)
class ChartInputs:
    """Everything the charts need besides the result itself."""

    prices: pd.DataFrame | None = None
    """Wide adjusted closes around the event: firms and the benchmark as columns."""
    day0: pd.Timestamp | None = None
    """The session the price chart calls day 0 (see :func:`event_day0`)."""
    sectors: pd.Series | None = None
    market_values: pd.Series | None = None
    """Ticker → market value at day −1: sizes the treemap (the same values as the dollar impact)."""
    benchmark: str | None = "SPY"
    headline: str | None = None
    pinned: tuple[str, ...] = ()
    """Tickers the price chart always shows (the companies the article names)."""
    news: tuple[NewsMarker, ...] = ()
    """Stored articles on the price paths (:func:`analytics.news.markers.news_markers`)."""
    source_line: str | None = None
    """The footer of every chart (:func:`app.charts.captions.source_line`); None for none."""


def event_day0(firms: pd.DataFrame) -> pd.Timestamp | None:
    """The price chart's day 0: the most common firm day 0 (the earliest on ties).

    >>> event_day0(pd.DataFrame({"day0": ["2025-01-28", "2025-01-27", "2025-01-28"]}))
    Timestamp('2025-01-28 00:00:00')
    """
    if firms.empty or "day0" not in firms.columns:
        return None
    day0 = pd.to_datetime(firms["day0"]).dropna()
    return None if day0.empty else pd.Timestamp(day0.mode().iloc[0])


def price_span(
    spec: StudySpec, day0: pd.Timestamp, *, today: pd.Timestamp | None = None
) -> tuple[list[str], pd.Timestamp, pd.Timestamp]:
    """Tickers and sessions of the price chart: the event windows plus :data:`CHART_SESSIONS`
    on each side, never past the last completed session before ``today``."""
    first, last = spec.event_span
    start = calendar.offset(day0, min(first, 0) - CHART_SESSIONS)
    end = calendar.offset(day0, max(last, 0) + CHART_SESSIONS)
    now = (today if today is not None else pd.Timestamp.today()).normalize()
    end = min(end, calendar.previous_session(now))
    return [*spec.tickers, spec.benchmark], start, max(start, end)


def load_inputs(
    source: ChartSource,
    result: StudyResult,
    *,
    headline: str | None = None,
    pinned: Sequence[str] = (),
) -> ChartInputs:
    """Read the chart inputs of ``result`` from the study service (one read for all windows).

    ``headline`` captions the price chart as given: pass one through
    :func:`app.charts.captions.chart_headline` when it comes from an article.
    """
    day0 = event_day0(result.firms)
    prices = None
    if day0 is not None:
        tickers, start, end = price_span(result.spec, day0)
        prices = source.store.panel(tickers, start, end)
    tickers = list(result.spec.tickers)
    sectors = source.sectors(tickers).reindex(tickers).fillna("Unknown").astype(str)
    return ChartInputs(
        prices=prices,
        day0=day0,
        sectors=sectors,
        market_values=source.market_values(result),
        benchmark=result.spec.benchmark,
        headline=headline,
        pinned=tuple(pinned),
        source_line=source_line(
            result, data_sources(source.store, [*result.spec.tickers, result.spec.benchmark])
        ),
    )


def chart(name: str, result: StudyFrames, inputs: ChartInputs, *, window: str) -> go.Figure:
    """Chart ``name`` (one of :data:`CHARTS`) of ``result`` for the event window ``window``,
    with the study's source line at the bottom when ``inputs`` carry one."""
    fig = _chart(name, result, inputs, window=window)
    if inputs.source_line:
        add_source_line(fig, inputs.source_line)
    return fig


def _chart(name: str, result: StudyFrames, inputs: ChartInputs, *, window: str) -> go.Figure:
    if name == "price_paths":
        if inputs.prices is None or inputs.prices.empty or inputs.day0 is None:
            return empty_figure(_PRICE_TITLE, _NO_PRICES)
        return price_paths(
            inputs.prices,
            day0=inputs.day0,
            headline=inputs.headline,
            benchmark=inputs.benchmark,
            pinned=inputs.pinned,
            news=inputs.news,
        )
    if name == "abnormal_returns":
        return abnormal_returns_bar(result.days, result.windows, window=window)
    if name == "caar":
        return caar_path(result.aar, window=window)
    if name == "sector_treemap":
        empty = pd.Series(dtype="float64")
        return sector_treemap(
            result.windows,
            inputs.sectors if inputs.sectors is not None else empty,
            inputs.market_values if inputs.market_values is not None else empty,
            window=window,
        )
    if name == "dollar_impact":
        return dollar_impact_bar(result.windows, window=window)
    if name == "tests":
        return test_statistics_table(result.tests, window=window)
    raise SpecError(f"chart: {name!r} is not one of {', '.join(CHARTS)}")


def window_figures(
    result: StudyFrames, inputs: ChartInputs | None = None, *, window: str
) -> dict[str, go.Figure]:
    """Every chart of ``result`` for one window, keyed by :data:`CHARTS`."""
    given = inputs if inputs is not None else ChartInputs(day0=event_day0(result.firms))
    return {name: chart(name, result, given, window=window) for name in CHARTS}


def study_figures(result: StudyResult, inputs: ChartInputs) -> dict[str, go.Figure]:
    """Every chart for every window, named for files: ``price_paths`` once (it does not depend
    on the window), then ``<chart>_<a>_<b>`` per window (e.g. ``caar_-1_1``)."""
    figures: dict[str, go.Figure] = {"price_paths": chart("price_paths", result, inputs, window="")}
    for key in result.spec.window_keys:
        suffix = key.replace(":", "_")
        for name in CHARTS[1:]:
            figures[f"{name}_{suffix}"] = chart(name, result, inputs, window=key)
    return figures
