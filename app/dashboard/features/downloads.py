"""Downloads: the PNG of one chart, the results grid as a numeric CSV, and "Export all": a zip of
every window's charts, the tables and ``study.json`` — the same figures ``aftershock export``
writes (:func:`app.charts.figures.study_figures`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component

from analytics.errors import AftershockError
from app.charts import figures
from app.charts.captions import data_sources
from app.charts.export import FigureExporter, export_bundle
from app.charts.reports import latex_tables, study_workbook
from app.charts.tables import results_csv, results_table, study_document, study_settings
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.components import alert
from app.dashboard.views import (
    article_of,
    build_figure,
    focus_window,
    key_with_placebo,
    study_inputs,
)
from app.universes import PRESETS

__all__ = [
    "download_png",
    "export_all",
    "grid_csv",
    "layout",
    "register",
]


def layout() -> Component:
    """The (invisible) download targets of the PNG buttons, the grid's CSV and "Export all"."""
    return html.Div(
        [
            dcc.Download(id=ids.PNG_DOWNLOAD),
            dcc.Download(id=ids.EXPORT_DOWNLOAD),
            dcc.Download(id=ids.GRID_CSV_DOWNLOAD),
        ]
    )


_PNG_WIDTH, _PNG_HEIGHT, _PNG_SCALE = 1200, 700, 2


def download_png(
    data: DashboardData,
    exporter: Callable[[], FigureExporter],
    *,
    name: str | None,
    key: str | None,
    focus: str | None,
    selected: str | None,
    text: str | None,
    placebo: Mapping[str, Any] | None = None,
) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)`` for the PNG of chart ``name``: of the study with its
    placebo test once the follow-up run (``placebo``) has it, as the Tests tab shows."""
    key = key_with_placebo(key, placebo)
    result = data.result(key)
    if result is None or key is None or name not in ids.DASHBOARD_CHARTS:
        return no_update, alert("Run a study first.", title="Nothing to download", color="yellow")
    window = focus_window(result, focus)
    article = article_of(data, selected, text)
    try:
        fig = build_figure(data, name, result, key, window, article)
        png = exporter().to_png_bytes(fig, width=_PNG_WIDTH, height=_PNG_HEIGHT, scale=_PNG_SCALE)
    except AftershockError as exc:
        return no_update, alert(str(exc), title="PNG export failed")
    filename = f"aftershock-{name}-{window.replace(':', '_')}.png"
    return dcc.send_bytes(png, filename, type="image/png"), None


def grid_csv(data: DashboardData, *, key: str | None) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)``: the results grid as numbers (:func:`results_csv`)."""
    result = data.result(key)
    if result is None:
        return no_update, alert("Run a study first.", title="Nothing to download", color="yellow")
    text = results_csv(result, data.sector_of(list(result.spec.tickers)))
    return dcc.send_string(text, "aftershock-results.csv", type="text/csv"), None


def _universe_name(preset: str | None, sector: str | None) -> str | None:
    if preset is None or preset not in PRESETS:
        return None
    name = PRESETS[preset]
    return f"{name}: {sector}" if preset == "sp500" and sector else name


def export_all(
    data: DashboardData,
    exporter: Callable[[], FigureExporter] | None = None,
    *,
    key: str | None,
    selected: str | None,
    text: str | None,
    preset: str | None = None,
    sector: str | None = None,
    placebo: Mapping[str, Any] | None = None,
) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)``: a zip of every window's charts, the tables (the result's
    frames and the grid's ``results``, as CSV files and as the sheets of ``study.xlsx``),
    ``tables.tex`` (CAAR and every test per window) and ``study.json`` with the study's
    settings; with the placebo test once the follow-up run (``placebo``) has it."""
    key = key_with_placebo(key, placebo)
    result = data.result(key)
    if result is None or key is None:
        return no_update, alert("Run a study first.", title="Nothing to export", color="yellow")
    article = article_of(data, selected, text)
    tickers = list(result.spec.tickers)
    try:
        figs = figures.study_figures(result, study_inputs(data, key, result, article))
        frames = {
            "results": results_table(result, data.sector_of(tickers)),
            **result.to_frames(),
        }
        universe = _universe_name(preset, sector)
        sources = data_sources(data.store(), [*tickers, result.spec.benchmark])
        document = study_document(result, universe=universe, sources=sources)
        settings = study_settings(result, universe=universe, sources=sources)
        archive = export_bundle(
            figs,
            frames,
            document,
            width=_PNG_WIDTH,
            height=_PNG_HEIGHT,
            scale=_PNG_SCALE,
            exporter=exporter() if exporter is not None else None,
            documents={
                "study.xlsx": study_workbook(frames, settings),
                "tables.tex": latex_tables(result),
            },
        )
    except AftershockError as exc:
        return no_update, alert(str(exc), title="Export failed")
    return dcc.send_bytes(archive, "aftershock-study.zip", type="application/zip"), None


def register(app: Dash, data: DashboardData, exporter: Callable[[], FigureExporter]) -> None:
    """Register the PNG, CSV and "Export all" callbacks on ``app``."""

    @app.callback(
        Output(ids.PNG_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input({"type": ids.PNG_BUTTON, "name": ALL}, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.FOCUS_WINDOW, "value"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        State(ids.PLACEBO_KEY, "data"),
        prevent_initial_call=True,
    )
    def _png(
        clicks: list[int | None],
        key: str | None,
        focus: str | None,
        selected: str | None,
        text: str | None,
        placebo: Mapping[str, Any] | None,
    ) -> tuple[Any, Any]:
        triggered = ctx.triggered_id
        if not any(clicks) or not isinstance(triggered, Mapping):
            return no_update, no_update
        return download_png(
            data,
            exporter,
            name=str(triggered["name"]),
            key=key,
            placebo=placebo,
            focus=focus,
            selected=selected,
            text=text,
        )

    @app.callback(
        Output(ids.GRID_CSV_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input(ids.GRID_CSV, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        prevent_initial_call=True,
    )
    def _csv(clicks: int | None, key: str | None) -> tuple[Any, Any]:
        if not clicks:
            return no_update, no_update
        return grid_csv(data, key=key)

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input(ids.EXPORT_ALL, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        State(ids.UNIVERSE_PRESET, "value"),
        State(ids.UNIVERSE_SECTOR, "value"),
        State(ids.PLACEBO_KEY, "data"),
        background=True,
        interval=500,
        running=[(Output(ids.EXPORT_ALL, "loading"), True, False)],
        prevent_initial_call=True,
    )
    def _export(
        clicks: int | None,
        key: str | None,
        selected: str | None,
        text: str | None,
        preset: str | None,
        sector: str | None,
        placebo: Mapping[str, Any] | None,
    ) -> tuple[Any, Any]:
        if not clicks:
            return no_update, no_update
        # A background worker is a separate process: it starts its own browser.
        return export_all(
            data,
            key=key,
            placebo=placebo,
            selected=selected,
            text=text,
            preset=preset,
            sector=sector,
        )
