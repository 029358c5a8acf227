"""The page shell: the header and the page that composes the features' layouts.

Pure functions from plain data to Dash components; no callbacks and no I/O here. The controls start
at :data:`app.dashboard.state.DEFAULT_STATE`; the URL callback then sets them from the link.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html
from dash.development.base_component import Component

from app.charts.theme import NEGATIVE, POSITIVE
from app.dashboard import ids
from app.dashboard.components import alert
from app.dashboard.features import article, controls, downloads, news, results
from app.dashboard.state import MODELS

__all__ = ["THEME", "header", "page"]

THEME: dict[str, Any] = {
    "primaryColor": "indigo",
    "fontFamily": "Inter, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif",
    "defaultRadius": "md",
    "other": {"negative": NEGATIVE, "positive": POSITIVE},
}


def header() -> Component:
    """App name, tagline and the one-line study summary."""
    return html.Header(
        dmc.Group(
            [
                dmc.Group(
                    [
                        html.Img(src="/assets/logo.svg", alt="", className="logo"),
                        dmc.Stack(
                            [
                                dmc.Title("Aftershock", order=1, className="app-name"),
                                dmc.Text(
                                    "What did this news do to which stocks, and is it real?",
                                    size="sm",
                                    c="dimmed",
                                ),
                            ],
                            gap=0,
                        ),
                    ],
                    gap="sm",
                    wrap="nowrap",
                ),
                dmc.Group(
                    [
                        html.Div(id=ids.SUMMARY, className="summary"),
                        dmc.Button(
                            "Saved studies",
                            id=ids.RUNS_OPEN,
                            variant="light",
                            n_clicks=0,
                        ),
                    ],
                    gap="md",
                    wrap="nowrap",
                ),
            ],
            justify="space-between",
            align="center",
            wrap="wrap",
        ),
        className="app-header",
    )


def page(
    *,
    articles: Sequence[Mapping[str, str]],
    sectors: Sequence[str],
    ticker_options: Sequence[Mapping[str, str]],
    models: Sequence[Mapping[str, Any]] | None = None,
    banner: Sequence[str] = (),
    offline_note: str | None = None,
    saved_studies: Component | None = None,
) -> Component:
    """The whole page; ``banner`` lines (missing data) show above everything when given, and
    ``offline_note`` (e.g. "Yahoo Finance unreachable: using the data pack") as one line.

    ``saved_studies`` is the drawer the header's "Saved studies" button opens.
    """
    return dmc.MantineProvider(
        html.Div(
            [
                dcc.Location(id=ids.URL, refresh=False),
                dcc.Store(id=ids.STUDY_KEY),
                dcc.Store(id=ids.RUN_REQUEST),
                dcc.Store(id=ids.PLACEBO_REQUEST),
                dcc.Store(id=ids.PLACEBO_KEY),
                header(),
                html.Div(
                    [
                        alert(offline_note, title="Working offline", color="gray")
                        if offline_note
                        else None,
                        alert(banner, title="Some market data is missing", color="yellow")
                        if banner
                        else None,
                    ],
                    id=ids.DATA_BANNER,
                ),
                # The results take the right column from the top, so the headline figures
                # and the first chart are in view on a laptop screen; the controls sit above
                # the article on the left.
                dmc.Grid(
                    [
                        dmc.GridCol(
                            dmc.Stack(
                                [
                                    controls.layout(
                                        sectors=sectors,
                                        ticker_options=ticker_options,
                                        models=models
                                        if models is not None
                                        else [{"value": k, "label": v} for k, v in MODELS.items()],
                                    ),
                                    news.layout(articles, article.layout()),
                                ],
                                gap="md",
                            ),
                            span={"base": 12, "lg": 5},
                        ),
                        dmc.GridCol(results.layout(), span={"base": 12, "lg": 7}),
                    ],
                    gutter="md",
                ),
                saved_studies,
                downloads.layout(),
            ],
            className="app",
        ),
        theme=THEME,
    )
