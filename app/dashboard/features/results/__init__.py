"""The results: the summary line, the focus window, the chart tabs, the results grid and the tests.

Every output is drawn from the cached result whose key the study store holds. The text panels
(summary, dollar headline, grid rows, tests verdict) live in
:mod:`~app.dashboard.features.results.panels`.

May import: :mod:`analytics`, :mod:`app.charts`, :mod:`app.dashboard` (ids, cache,
components, state, views) and its own modules; never another feature."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from analytics.errors import AftershockError
from app.charts.base import empty_figure
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.components import window_options
from app.dashboard.features.results.panels import (
    cross_section_tables,
    dollar_headline,
    grid_table,
    significance_panel,
    summary,
)
from app.dashboard.state import DEFAULT_STATE, format_window
from app.dashboard.views import article_of, build_figure, focus_window, key_with_placebo

__all__ = [
    "CHART_TITLES",
    "chart_card",
    "dollar_headline",
    "grid_rows",
    "grid_table",
    "key_with_placebo",
    "layout",
    "register",
    "render_chart",
    "significance_panel",
    "summary",
]


CHART_TITLES: Mapping[str, str] = {
    "price_paths": "Price paths",
    "abnormal_returns": "Abnormal returns by firm",
    "caar": "Average abnormal return (AAR) and CAAR",
    "sector_treemap": "Abnormal return by sector",
    "dollar_impact": "Dollar impact",
    "tests": "Significance tests",
    "sector_groups": "Abnormal return by sector, each against the rest",
    "beta_regression": "Abnormal return against market beta",
}


TAB_OF: Mapping[str, str] = {
    "price_paths": "prices",
    "abnormal_returns": "abnormal",
    "caar": "caar",
    "sector_treemap": "sectors",
    "dollar_impact": "sectors",
    "tests": "tests",
    "sector_groups": "xsec",
    "beta_regression": "xsec",
}
"""The results tab that shows each chart."""

TABS: Mapping[str, str] = {
    "prices": "Prices",
    "abnormal": "Abnormal returns",
    "caar": "CAAR",
    "sectors": "Sectors & dollars",
    "grid": "Results grid",
    "tests": "Tests",
    "xsec": "Cross-section",
}
"""The results tabs: value (also the ``tab`` link parameter) → label."""


NO_STUDY = "No results yet: the study is running, or could not run (see the message above)"
"""A chart's text without a result: a study being run has no result key yet, nor has one that
failed, and the chart cannot tell the two apart."""


_GRAPH_CONFIG: Any = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"scale": 2},
}


def chart_card(name: str) -> Component:
    """One chart with its "Download PNG" button."""
    return html.Section(
        [
            dmc.Group(
                [
                    dmc.Text(CHART_TITLES[name], fw=600),
                    dmc.Button(
                        "Download PNG",
                        id=ids.png_button(name),
                        size="compact-sm",
                        variant="default",
                        n_clicks=0,
                    ),
                ],
                justify="space-between",
            ),
            dcc.Loading(
                dcc.Graph(id=ids.figure(name), config=_GRAPH_CONFIG, className="chart"),
                type="dot",
                delay_show=300,
            ),
        ],
        className="chart-card",
    )


def _grid() -> Component:
    return dag.AgGrid(
        id=ids.GRID,
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 80},
        dashGridOptions={"animateRows": False, "suppressColumnVirtualisation": True},
        className="ag-theme-quartz results-grid",
        style={"height": "520px"},
    )


def _tab(value: str, label: str) -> dmc.TabsTab:
    return dmc.TabsTab(label, value=value)


def layout() -> Component:
    """The results: focus window, export, tabs of charts, the grid and the tests."""
    return dmc.Paper(
        [
            dmc.Group(
                [
                    dmc.Select(
                        id=ids.FOCUS_WINDOW,
                        label="Window shown",
                        data=window_options(format_window(w) for w in DEFAULT_STATE.windows),
                        value=format_window(DEFAULT_STATE.windows[0]),
                        allowDeselect=False,
                        w=140,
                    ),
                    html.Div(id=ids.DOLLAR_HEADLINE, className="dollar-headline"),
                    dmc.Button("Export all", id=ids.EXPORT_ALL, variant="light", n_clicks=0),
                ],
                justify="space-between",
                align="flex-end",
            ),
            html.Div(id=ids.RESULTS_ALERT),
            html.Div(id=ids.PLACEBO_STATUS, className="placebo-status"),
            dmc.Tabs(
                [
                    dmc.TabsList([_tab(value, label) for value, label in TABS.items()]),
                    dmc.TabsPanel(chart_card("price_paths"), value="prices"),
                    dmc.TabsPanel(chart_card("abnormal_returns"), value="abnormal"),
                    dmc.TabsPanel(chart_card("caar"), value="caar"),
                    dmc.TabsPanel(
                        dmc.Stack([chart_card("sector_treemap"), chart_card("dollar_impact")]),
                        value="sectors",
                    ),
                    dmc.TabsPanel(
                        dmc.Stack(
                            [
                                dmc.Group(
                                    dmc.Button(
                                        "Download CSV",
                                        id=ids.GRID_CSV,
                                        size="compact-sm",
                                        variant="default",
                                        n_clicks=0,
                                    ),
                                    justify="flex-end",
                                ),
                                _grid(),
                                dcc.Store(id=ids.GRID_STUDY),
                                html.Div(id=ids.EXCLUDED),
                            ],
                            gap="xs",
                        ),
                        value="grid",
                    ),
                    dmc.TabsPanel(
                        dmc.Stack([html.Div(id=ids.TESTS_PANEL), chart_card("tests")], gap="xs"),
                        value="tests",
                    ),
                    dmc.TabsPanel(
                        dmc.Stack(
                            [
                                chart_card("sector_groups"),
                                html.Div(id=ids.GROUP_TABLE),
                                chart_card("beta_regression"),
                                html.Div(id=ids.REGRESSION_TABLE),
                            ]
                        ),
                        value="xsec",
                    ),
                ],
                id=ids.RESULTS_TABS,
                value="prices",
                # Hidden tabs stay unmounted (a chart drawn in a hidden panel gets the wrong
                # size); each chart's callback takes the active tab as input and draws when its
                # tab is shown, so a revisited tab is drawn again into its new graph.
                keepMounted=False,
                mt="sm",
            ),
        ],
        className="pane results",
        withBorder=True,
        p="md",
    )


def render_chart(
    data: DashboardData,
    name: str,
    *,
    key: str | None,
    focus: str | None,
    selected: str | None,
    text: str | None,
    tab: str | None = None,
) -> Any:
    """The figure of chart ``name`` for the current study (``no_update`` without one).

    With ``tab`` (the active results tab), only the charts of that tab are drawn: the others are
    not mounted, and are drawn when their tab is shown.
    """
    if tab is not None and TAB_OF[name] != tab:
        return no_update
    result = data.result(key)
    if result is None or key is None:
        # No study yet (running) or none (failed: the message above says why); never a stale
        # chart of another study.
        return empty_figure(CHART_TITLES[name], NO_STUDY)
    article = article_of(data, selected, text) if name == "price_paths" else None
    try:
        fig = build_figure(data, name, result, key, focus_window(result, focus), article)
    except AftershockError as exc:  # the cross-section study could not run (no sectors)
        return empty_figure(CHART_TITLES[name], str(exc))
    if not fig.data and not fig.layout.annotations:
        return empty_figure(CHART_TITLES[name], "Nothing to draw for this study and window")
    return fig


def grid_rows(
    data: DashboardData, key: str | None, tab: str | None, held: str | None
) -> tuple[Any, Any, Any, Any]:
    """The grid's ``(columnDefs, rowData, excluded note, study key held)``, sent once per
    study: when the grid's tab is first shown for it. Other tabs, and a return to the grid
    whose rows are this study's (``held``), send nothing; the grid keeps its rows (its
    filtering, sorting and row virtualization are the browser's), so a tab switch or a
    chart click never re-renders thousands of rows."""
    if tab != "grid" or (key is not None and key == held):
        return no_update, no_update, no_update, no_update
    return (*grid_table(data, key, tab), key)


def register(app: Dash, data: DashboardData) -> None:
    """Register the results' callbacks on ``app``."""
    # Everything below draws the study whose key the state or run callback stores: no study
    # exists at page load, hence no initial calls. What sits in a results tab takes the active
    # tab as input: a hidden panel is unmounted, and what a callback writes into it is lost.
    app.callback(
        Output(ids.SUMMARY, "children"), Input(ids.STUDY_KEY, "data"), prevent_initial_call=True
    )(lambda key: summary(data, key))
    app.callback(
        Output(ids.DOLLAR_HEADLINE, "children"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.FOCUS_WINDOW, "value"),
        prevent_initial_call=True,
    )(lambda key, focus: dollar_headline(data, key, focus))
    app.callback(
        Output(ids.GRID, "columnDefs"),
        Output(ids.GRID, "rowData"),
        Output(ids.EXCLUDED, "children"),
        Output(ids.GRID_STUDY, "data"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.RESULTS_TABS, "value"),
        State(ids.GRID_STUDY, "data"),
        prevent_initial_call=True,
    )(lambda key, tab, held: grid_rows(data, key, tab or "prices", held))
    app.callback(
        Output(ids.TESTS_PANEL, "children"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.FOCUS_WINDOW, "value"),
        Input(ids.RESULTS_TABS, "value"),
        Input(ids.PLACEBO_KEY, "data"),
        prevent_initial_call=True,
    )(
        lambda key, focus, tab, placebo: significance_panel(
            data, key, focus, tab or "prices", placebo
        )
    )
    app.callback(
        Output(ids.GROUP_TABLE, "children"),
        Output(ids.REGRESSION_TABLE, "children"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.FOCUS_WINDOW, "value"),
        Input(ids.RESULTS_TABS, "value"),
        prevent_initial_call=True,
    )(lambda key, focus, tab: cross_section_tables(data, key, focus, tab or "prices"))
    for name in ids.DASHBOARD_CHARTS:
        _register_chart(app, data, name)


def _register_chart(app: Dash, data: DashboardData, name: str) -> None:
    # The tests chart also reads the follow-up placebo run; the price chart has no window.
    placebo = State if name != "tests" else Input
    focus = State if name == "price_paths" else Input

    @app.callback(
        Output(ids.figure(name), "figure"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.RESULTS_TABS, "value"),
        focus(ids.FOCUS_WINDOW, "value"),
        placebo(ids.PLACEBO_KEY, "data"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        prevent_initial_call=True,
    )
    def _chart(
        key: str | None,
        tab: str | None,
        focus: str | None,
        follow_up: Mapping[str, Any] | None,
        selected: str | None,
        text: str | None,
    ) -> Any:
        if name == "tests":
            key = key_with_placebo(key, follow_up)
        return render_chart(
            data, name, key=key, focus=focus, selected=selected, text=text, tab=tab or "prices"
        )
