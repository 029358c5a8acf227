"""Downloads: the PNG of one chart and the zip of every chart, table and the JSON of a study."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component

from analytics.errors import AftershockError
from app.charts.export import FigureExporter, export_bundle
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.components import alert
from app.dashboard.views import article_of, build_figure, focus_window

__all__ = [
    "download_png",
    "export_all",
    "layout",
    "register",
]


def layout() -> Component:
    """The (invisible) download targets of the PNG buttons and "Export all"."""
    return html.Div([dcc.Download(id=ids.PNG_DOWNLOAD), dcc.Download(id=ids.EXPORT_DOWNLOAD)])


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
) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)`` for the PNG of chart ``name``."""
    result = data.result(key)
    if result is None or key is None or name not in ids.CHARTS:
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


def export_all(
    data: DashboardData,
    *,
    key: str | None,
    focus: str | None,
    selected: str | None,
    text: str | None,
) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)``: a zip of every chart's PNG, the tables and the JSON."""
    result = data.result(key)
    if result is None or key is None:
        return no_update, alert("Run a study first.", title="Nothing to export", color="yellow")
    window = focus_window(result, focus)
    article = article_of(data, selected, text)
    try:
        figs = {name: build_figure(data, name, result, key, window, article) for name in ids.CHARTS}
        archive = export_bundle(
            figs,
            result.to_frames(),
            result.to_json(),
            width=_PNG_WIDTH,
            height=_PNG_HEIGHT,
            scale=_PNG_SCALE,
        )
    except AftershockError as exc:
        return no_update, alert(str(exc), title="Export failed")
    return dcc.send_bytes(archive, "aftershock-study.zip", type="application/zip"), None


def register(app: Dash, data: DashboardData, exporter: Callable[[], FigureExporter]) -> None:
    """Register the PNG and "Export all" callbacks on ``app``."""

    @app.callback(
        Output(ids.PNG_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input({"type": ids.PNG_BUTTON, "name": ALL}, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.FOCUS_WINDOW, "value"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        prevent_initial_call=True,
    )
    def _png(
        clicks: list[int | None],
        key: str | None,
        focus: str | None,
        selected: str | None,
        text: str | None,
    ) -> tuple[Any, Any]:
        triggered = ctx.triggered_id
        if not any(clicks) or not isinstance(triggered, Mapping):
            return no_update, no_update
        return download_png(
            data,
            exporter,
            name=str(triggered["name"]),
            key=key,
            focus=focus,
            selected=selected,
            text=text,
        )

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input(ids.EXPORT_ALL, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.FOCUS_WINDOW, "value"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        background=True,
        interval=500,
        running=[(Output(ids.EXPORT_ALL, "loading"), True, False)],
        prevent_initial_call=True,
    )
    def _export(
        clicks: int | None,
        key: str | None,
        focus: str | None,
        selected: str | None,
        text: str | None,
    ) -> tuple[Any, Any]:
        if not clicks:
            return no_update, no_update
        return export_all(data, key=key, focus=focus, selected=selected, text=text)
