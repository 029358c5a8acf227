"""The "Saved studies" drawer: last refresh, "Refresh now", "Save this view as a study", each
study's runs, two runs compared.

Layout and callback bodies are plain functions of the store directory and the project config
(tests call them directly): :mod:`.status` (the status panel and "Refresh now"), :mod:`.runs`
(history and comparison), :mod:`.save_view` (the view as a config entry); this module lays the
drawer out and :func:`register` wires it on the app. The drawer reads what
:mod:`app.jobs.refresh` writes under ``<store>/results/`` (see :mod:`app.jobs.archive`), also
while a refresh started elsewhere (cron, ``aftershock serve --schedule``) is writing: a run is
seen complete or not at all. While the drawer is open it re-reads the status every
:data:`POLL_MS` milliseconds.

May import what every feature may (:mod:`analytics`, :mod:`app.charts`, :mod:`app.jobs`,
:mod:`app.config` and the shared parts of :mod:`app.dashboard`) and its own submodules; never
another feature.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import dash_mantine_components as dmc
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from app.config import ProjectConfig
from app.dashboard import ids
from app.dashboard.components import grid, run_row, select
from app.dashboard.features.saved_studies.runs import comparison, history, study_choices
from app.dashboard.features.saved_studies.save_view import save_view
from app.dashboard.features.saved_studies.status import NO_CONFIG, refresh_now, refresh_status
from app.settings import Settings

if TYPE_CHECKING:
    from app.dashboard.cache import DashboardData

__all__ = [
    "NO_CONFIG",
    "NO_CONFIG_TIP",
    "POLL_MS",
    "comparison",
    "drawer",
    "history",
    "refresh_now",
    "refresh_status",
    "register",
    "save_view",
    "study_choices",
]

POLL_MS: Final = 5000
"""How often the open drawer re-reads the refresh status."""

NO_CONFIG_TIP: Final = (
    "No project config is loaded: start with aftershock serve --config FILE "
    "(or set AFTERSHOCK_CONFIG) to refresh and save studies"
)
"""Why "Refresh now" and "Save this view as a study" are disabled without a config."""

_COMPARE_HEIGHT: Final = 360


# -- layout ---------------------------------------------------------------------------------------


def _tip(button: Component, enabled: bool) -> Component:
    """``button``, with the reason it is disabled on hover when it is."""
    if enabled:
        return button
    # A disabled button receives no pointer events: the tooltip hangs on a wrapper.
    return dmc.Tooltip(
        html.Span(button, className="disabled-tip", tabIndex=0),
        label=NO_CONFIG_TIP,
        multiline=True,
        w=320,
        withArrow=True,
    )


def drawer(config: ProjectConfig | None = None) -> Component:
    """The drawer the header's "Saved studies" button opens, with its poll timer.

    Without a ``config`` the buttons that need one are disabled and say why.
    """
    enabled = config is not None
    body = dmc.Stack(
        [
            html.Div(id=ids.RUNS_STATUS),
            run_row(
                _tip(
                    dmc.Button(
                        "Refresh now", id=ids.REFRESH_BUTTON, n_clicks=0, disabled=not enabled
                    ),
                    enabled,
                ),
                cancel_id=ids.REFRESH_CANCEL,
                status_id=ids.REFRESH_PROGRESS,
                gap="sm",
            ),
            html.Div(id=ids.REFRESH_ALERT),
            dmc.Group(
                [
                    dmc.TextInput(
                        id=ids.SAVE_VIEW_NAME,
                        placeholder="name, e.g. deepseek-chips (default: from the view)",
                        w=340,
                        disabled=not enabled,
                        **{"aria-label": "Name of the saved study"},
                    ),
                    _tip(
                        dmc.Button(
                            "Save this view as a study",
                            id=ids.SAVE_VIEW,
                            variant="light",
                            n_clicks=0,
                            disabled=not enabled,
                        ),
                        enabled,
                    ),
                ],
                gap="sm",
            ),
            html.Div(id=ids.SAVE_VIEW_ALERT),
            dmc.Divider(my="xs"),
            dmc.Group(
                [
                    dmc.Title("Run history", order=4),
                    select(
                        ids.RUNS_STUDY,
                        placeholder="No saved runs yet",
                        w=260,
                        **{"aria-label": "Study"},
                    ),
                ],
                justify="space-between",
            ),
            grid(ids.RUNS_GRID, height=250, class_name="runs-grid"),
            dmc.Group(
                [
                    dmc.Title("Compare two runs", order=4),
                    dmc.Group(
                        [
                            select(ids.COMPARE_A, label="Run A", placeholder="Pick a run", w=250),
                            select(ids.COMPARE_B, label="Run B", placeholder="Pick a run", w=250),
                        ],
                        gap="sm",
                    ),
                ],
                justify="space-between",
                align="flex-end",
                mt="sm",
            ),
            html.Div(id=ids.COMPARE_ALERT),
            grid(
                ids.COMPARE_GRID,
                height=_COMPARE_HEIGHT,
                class_name="runs-grid",
                rowClassRules={"caar-row": "params.data.caar"},
            ),
        ],
        gap="xs",
    )
    return html.Div(
        [
            dmc.Drawer(
                body,
                id=ids.RUNS_DRAWER,
                title=dmc.Title("Saved studies", order=3),
                position="right",
                size="min(1040px, 100vw)",
                opened=False,
                padding="lg",
            ),
            dcc.Interval(id=ids.RUNS_POLL, interval=POLL_MS, disabled=True),
            dcc.Store(id=ids.RUNS_STAMP),
        ]
    )


# -- registration ---------------------------------------------------------------------------------


class _Project:
    """The loaded project config; "Save this view as a study" replaces it with the saved file's."""

    def __init__(self, config: ProjectConfig | None) -> None:
        self.config = config


def register(
    app: Dash,
    settings: Settings,
    config: ProjectConfig | None,
    *,
    scheduled: bool = False,
    data: DashboardData | None = None,
) -> None:
    """Register the drawer's callbacks on ``app``; ``data`` holds the studies on screen (for
    "Save this view as a study")."""
    store = settings.store
    project = _Project(config)
    app.clientside_callback(
        "function(clicks) { return clicks > 0; }",
        Output(ids.RUNS_DRAWER, "opened"),
        Input(ids.RUNS_OPEN, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(opened) { return !opened; }",
        Output(ids.RUNS_POLL, "disabled"),
        Input(ids.RUNS_DRAWER, "opened"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output(ids.RUNS_STATUS, "children"),
        Output(ids.RUNS_STAMP, "data"),
        Input(ids.RUNS_DRAWER, "opened"),
        Input(ids.RUNS_POLL, "n_intervals"),
        Input(ids.REFRESH_ALERT, "children"),
        Input(ids.SAVE_VIEW_ALERT, "children"),
        State(ids.RUNS_STAMP, "data"),
        prevent_initial_call=True,
    )
    def _status(
        opened: bool | None, _poll: Any, _report: Any, _saved: Any, stamp: str | None
    ) -> Any:
        if not opened:
            return no_update, no_update
        now = dt.datetime.now(dt.UTC)
        panel, new = refresh_status(store, project.config, scheduled=scheduled, now=now)
        names = ",".join(s.name for s in project.config.studies) if project.config else ""
        new = f"{new}|{names}"  # a saved study changes the study picker too
        return panel, no_update if new == stamp else new

    @app.callback(
        Output(ids.RUNS_STUDY, "data"),
        Output(ids.RUNS_STUDY, "value"),
        Input(ids.RUNS_STAMP, "data"),
        State(ids.RUNS_STUDY, "value"),
        prevent_initial_call=True,
    )
    def _study_picker(_stamp: Any, current: str | None) -> tuple[list[str], str | None]:
        return study_choices(store, project.config, current)

    @app.callback(
        Output(ids.RUNS_GRID, "columnDefs"),
        Output(ids.RUNS_GRID, "rowData"),
        Output(ids.COMPARE_A, "data"),
        Output(ids.COMPARE_A, "value"),
        Output(ids.COMPARE_B, "data"),
        Output(ids.COMPARE_B, "value"),
        Input(ids.RUNS_STUDY, "value"),
        prevent_initial_call=True,
    )
    def _history(study: str | None) -> tuple[Any, ...]:
        columns, rows, options, a, b = history(store, project.config, study)
        return columns, rows, options, a, options, b

    @app.callback(
        Output(ids.COMPARE_GRID, "columnDefs"),
        Output(ids.COMPARE_GRID, "rowData"),
        Output(ids.COMPARE_GRID, "style"),
        Output(ids.COMPARE_ALERT, "children"),
        Input(ids.COMPARE_A, "value"),
        Input(ids.COMPARE_B, "value"),
        State(ids.RUNS_STUDY, "value"),
        prevent_initial_call=True,
    )
    def _compare(a: str | None, b: str | None, study: str | None) -> tuple[Any, ...]:
        columns, rows, note = comparison(store, project.config, study, a, b)
        # An empty grid would only say "No Rows To Show" under the message.
        style = {"height": f"{_COMPARE_HEIGHT}px", "display": "block" if rows else "none"}
        return columns, rows, style, note

    @app.callback(
        Output(ids.REFRESH_ALERT, "children"),
        Input(ids.REFRESH_BUTTON, "n_clicks"),
        background=True,
        interval=1000,
        progress=Output(ids.REFRESH_PROGRESS, "children"),
        progress_default="",
        running=[
            (Output(ids.REFRESH_BUTTON, "loading"), True, False),
            (Output(ids.REFRESH_CANCEL, "display"), "inline-block", "none"),
        ],
        cancel=[Input(ids.REFRESH_CANCEL, "n_clicks")],
        prevent_initial_call=True,
    )
    def _refresh(progress: Callable[[str], None], clicks: int | None) -> Any:
        if not clicks:
            return no_update
        return refresh_now(project.config, settings, progress)

    @app.callback(
        Output(ids.SAVE_VIEW_ALERT, "children"),
        Input(ids.SAVE_VIEW, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.SAVE_VIEW_NAME, "value"),
        prevent_initial_call=True,
    )
    def _save(clicks: int | None, key: str | None, name: str | None) -> Any:
        if not clicks:
            return no_update
        result = data.result(key) if data is not None else None
        saved, message = save_view(project.config, result.spec if result else None, name)
        if saved is not None:
            project.config = saved
        return message
