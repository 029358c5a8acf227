"""What the features share to show the current study: its focus window, its article and its
charts, drawn by the one assembly of :mod:`app.charts.figures`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import plotly.graph_objects as go

from analytics.errors import AftershockError
from analytics.news import Article, find_companies, parse_article
from analytics.study.result import StudyResult
from app.charts import figures
from app.charts.base import add_source_line
from app.charts.captions import chart_headline
from app.charts.cross_section import CROSS_SECTION_CHARTS, cross_section_chart
from app.charts.figures import ChartInputs
from app.dashboard.cache import DashboardData

__all__ = [
    "aggregate_row",
    "article_of",
    "build_figure",
    "focus_window",
    "key_with_placebo",
    "study_inputs",
]


def key_with_placebo(key: str | None, placebo: Mapping[str, Any] | None) -> str | None:
    """The result the Tests tab reads: the study's with its placebo test once the follow-up
    run (``placebo``, see :func:`app.dashboard.features.controls.placebo_job`) has it."""
    if isinstance(placebo, Mapping) and placebo.get("study") == key and placebo.get("full"):
        return str(placebo["full"])
    return key


def aggregate_row(result: StudyResult, window: str) -> dict[str, Any]:
    table = result.aggregate
    row = table[table["window"] == window].iloc[0]
    return {str(name): value for name, value in row.items()}


def focus_window(result: StudyResult, focus: str | None) -> str:
    keys = result.spec.window_keys
    return focus if focus in keys else keys[0]


def article_of(data: DashboardData, selected: str | None, text: str | None) -> Article | None:
    if selected and selected in data.articles:
        return data.articles[selected]
    if text and text.strip():
        try:
            return parse_article(text)
        except AftershockError:
            return None
    return None


def build_figure(
    data: DashboardData,
    name: str,
    result: StudyResult,
    key: str,
    window: str,
    article: Article | None = None,
) -> go.Figure:
    """Chart ``name`` (one of :data:`app.dashboard.ids.DASHBOARD_CHARTS`) of the cached result
    ``key``.

    Drawn by the one assembly (:func:`app.charts.figures.chart`) from the same inputs as the CLI
    export and the refresh job (see :func:`study_inputs`); a cross-section chart from the study
    grouped by sector (:meth:`DashboardData.cross_section`), with the same source line.
    Raises :class:`AftershockError` when that study cannot run.
    """
    inputs = study_inputs(data, key, result, article)
    if name not in CROSS_SECTION_CHARTS:
        return figures.chart(name, result, inputs, window=window)
    grouped = data.cross_section(key)
    shown = grouped if grouped is not None else result
    sectors = (
        None if inputs.sectors is None else {str(k): str(v) for k, v in inputs.sectors.items()}
    )
    fig = cross_section_chart(name, shown, window=window, groups=sectors)
    if inputs.source_line:
        add_source_line(fig, inputs.source_line)
    return fig


def study_inputs(
    data: DashboardData, key: str, result: StudyResult, article: Article | None = None
) -> ChartInputs:
    """The chart inputs of the cached result ``key`` with the article's part: the price chart
    always shows the companies the article names, and carries its headline only when the
    article's day 0 is the study's (:func:`app.charts.captions.chart_headline`); the stored
    articles that name a charted ticker are its news markers."""
    named = [m.ticker for m in find_companies(article.body, data.aliases)] if article else []
    inputs = data.chart_inputs(key, result, pinned=named)
    charted = [] if inputs.prices is None else [str(c) for c in inputs.prices.columns.tolist()]
    return replace(
        inputs,
        headline=chart_headline(article, inputs.day0),
        news=data.news_markers(charted),
    )
