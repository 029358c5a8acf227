"""The "Saved studies" drawer: last refresh, "Refresh now", each study's runs, two runs compared.

Layout and callback bodies are plain functions of the store directory and the project config
(tests call them directly); :func:`register` wires them on the app. The drawer reads what
:mod:`app.jobs.refresh` writes under ``<store>/results/`` (see :mod:`app.jobs.archive`), also
while a refresh
started elsewhere (cron, ``aftershock serve --schedule``) is writing: a run is seen complete or
not at all. While the drawer is open it re-reads the status every :data:`POLL_MS` milliseconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import dash_ag_grid as dag
import dash_mantine_components as dmc
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from analytics.errors import AftershockError, StoreError
from app.charts.formatting import window_label
from app.config import ProjectConfig
from app.dashboard import ids
from app.dashboard.components import PCT_FORMAT, SIGN_CLASSES, alert
from app.jobs.archive import RunRecord, compare_runs, last_refresh, list_runs, load_run
from app.jobs.refresh import RefreshBusyError, refresh, refresh_owner
from app.jobs.scheduler import next_runs
from app.settings import Settings

__all__ = [
    "NO_CONFIG",
    "POLL_MS",
    "comparison",
    "drawer",
    "history",
    "refresh_now",
    "refresh_status",
    "register",
    "study_choices",
]

logger = logging.getLogger(__name__)

POLL_MS: Final = 5000
"""How often the open drawer re-reads the refresh status."""

NO_CONFIG: Final = (
    "No project config is loaded, so there are no saved studies to refresh. Start the dashboard "
    "with aftershock serve --config aftershock.toml (or set AFTERSHOCK_CONFIG); "
    "examples/aftershock.toml is a template."
)

_STATUS_COLORS: Final = {"ok": "green", "partial": "yellow", "failed": "red"}
_MAX_ERRORS: Final = 6
_COMPARE_HEIGHT: Final = 360
_GRID_DEFAULTS: Final = {"sortable": True, "resizable": True, "minWidth": 70}


# -- layout ---------------------------------------------------------------------------------------


def _grid(grid_id: str, height: int, **options: Any) -> Component:
    return dag.AgGrid(
        id=grid_id,
        rowData=[],
        columnDefs=[],
        defaultColDef=_GRID_DEFAULTS,
        dashGridOptions={"animateRows": False},
        columnSize="responsiveSizeToFit",
        className="ag-theme-quartz runs-grid",
        style={"height": f"{height}px"},
        **options,
    )


def drawer() -> Component:
    """The drawer the header's "Saved studies" button opens, with its poll timer."""
    body = dmc.Stack(
        [
            html.Div(id=ids.RUNS_STATUS),
            dmc.Group(
                [
                    dmc.Button("Refresh now", id=ids.REFRESH_BUTTON, n_clicks=0),
                    dmc.Button(
                        "Cancel",
                        id=ids.REFRESH_CANCEL,
                        variant="subtle",
                        color="gray",
                        n_clicks=0,
                        display="none",
                    ),
                    html.Div(id=ids.REFRESH_PROGRESS, className="run-status"),
                ],
                gap="sm",
            ),
            html.Div(id=ids.REFRESH_ALERT),
            dmc.Divider(my="xs"),
            dmc.Group(
                [
                    dmc.Title("Run history", order=4),
                    dmc.Select(
                        id=ids.RUNS_STUDY,
                        data=[],
                        placeholder="No saved runs yet",
                        allowDeselect=False,
                        w=260,
                        **{"aria-label": "Study"},
                    ),
                ],
                justify="space-between",
            ),
            _grid(ids.RUNS_GRID, 250),
            dmc.Group(
                [
                    dmc.Title("Compare two runs", order=4),
                    dmc.Group(
                        [
                            dmc.Select(
                                id=ids.COMPARE_A,
                                label="Run A",
                                data=[],
                                placeholder="Pick a run",
                                w=250,
                            ),
                            dmc.Select(
                                id=ids.COMPARE_B,
                                label="Run B",
                                data=[],
                                placeholder="Pick a run",
                                w=250,
                            ),
                        ],
                        gap="sm",
                    ),
                ],
                justify="space-between",
                align="flex-end",
                mt="sm",
            ),
            html.Div(id=ids.COMPARE_ALERT),
            _grid(
                ids.COMPARE_GRID,
                _COMPARE_HEIGHT,
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


# -- status ---------------------------------------------------------------------------------------


def _ago(seconds: float) -> str:
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "now" if future else "just now"
    if seconds < 3600:
        span = f"{seconds // 60:.0f} min"
    elif seconds < 48 * 3600:
        span = f"{seconds // 3600:.0f} h"
    else:
        span = f"{seconds // 86400:.0f} days"
    return f"in {span}" if future else f"{span} ago"


def _when(time: dt.datetime, now: dt.datetime) -> str:
    return f"{time.astimezone(dt.UTC):%a %d %b %Y %H:%M} UTC ({_ago((now - time).total_seconds())})"


def _next(fire: pd.Timestamp, now: dt.datetime) -> str:
    ahead = (fire.to_pydatetime() - now).total_seconds()
    return f"next {fire:%a %d %b %Y %H:%M %Z} ({_ago(-ahead)})"


def _problems(errors: Sequence[str], color: str) -> Component:
    shown = list(errors[:_MAX_ERRORS])
    if len(errors) > _MAX_ERRORS:
        shown.append(f"… and {len(errors) - _MAX_ERRORS} more (see the runs below)")
    return alert(shown, title=f"{len(errors)} problem(s) in the last refresh", color=color)


def _schedules(config: ProjectConfig | None, scheduled: bool, now: dt.datetime) -> Component:
    if config is None:
        return alert(NO_CONFIG, title="No project config", color="gray")
    if not config.schedules:
        return dmc.Text(
            f"{config.path} defines no [[schedules]]: refresh from here, or run "
            "aftershock refresh from cron.",
            size="sm",
            c="dimmed",
        )
    table = next_runs(config, now=now)
    lines: list[Component] = []
    for name, cron, zone, fire, studies in zip(
        table["schedule"],
        table["cron"],
        table["timezone"],
        table["next_run"],
        table["studies"],
        strict=True,
    ):
        when = "no upcoming session" if pd.isna(fire) else _next(pd.Timestamp(fire), now)
        lines.append(html.Li(f"{name} ({cron}, {zone}): {when}; studies: {studies}"))
    who = (
        "This server runs these schedules."
        if scheduled
        else "This server does not run them: start it with aftershock serve --schedule, "
        "or run aftershock refresh from cron."
    )
    return html.Div(
        [
            dmc.Text(f"Schedules of {config.path}", size="sm", fw=600),
            html.Ul(lines, className="schedule-list"),
            dmc.Text(who, size="sm", c="dimmed"),
        ]
    )


def refresh_status(
    store_dir: Path, config: ProjectConfig | None, *, scheduled: bool, now: dt.datetime
) -> tuple[Component, str]:
    """The status panel and its stamp, which changes whenever a refresh starts or finishes.

    Parameters
    ----------
    store_dir
        The store directory.
    config
        The loaded project config, if any.
    scheduled
        Whether this process runs the config's schedules.
    now
        The current (aware) time, for "5 min ago".
    """
    parts: list[Component] = []
    try:
        last = last_refresh(store_dir)
    except StoreError as exc:
        last = None
        parts.append(alert(str(exc), title="The last refresh record is unreadable"))
    if last is None:
        parts.append(dmc.Text("No refresh has finished yet.", size="sm"))
    else:
        took = (last.finished - last.started).total_seconds()
        parts.append(
            dmc.Group(
                [
                    dmc.Text("Last refresh", fw=600, size="sm"),
                    dmc.Badge(last.status, color=_STATUS_COLORS[last.status], variant="light"),
                    dmc.Text(
                        f"finished {_when(last.finished, now)} · {len(last.runs)} "
                        f"stud{'y' if len(last.runs) == 1 else 'ies'} in {took:.0f} s",
                        size="sm",
                    ),
                ],
                gap="xs",
            )
        )
        if last.errors:
            parts.append(_problems(last.errors, "red" if last.status == "failed" else "yellow"))
    owner = refresh_owner(store_dir)
    if owner is not None:
        parts.append(
            alert(
                f"pid {owner.pid}, started {_when(owner.started, now)}",
                title="A refresh is running now",
                color="blue",
            )
        )
    parts.append(_schedules(config, scheduled, now))
    finished = last.finished.isoformat() if last is not None else ""
    stamp = f"{finished}|{owner.pid if owner is not None else ''}"
    return dmc.Stack(parts, gap="xs"), stamp


# -- refresh now ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.2%}".replace("-", "\u2212")


def _run_line(run: RunRecord) -> str:
    if run.status == "failed":
        return f"{run.study}: failed: {run.errors[-1] if run.errors else 'no result'}"
    caar = ", ".join(f"CAAR {window_label(k)} {_pct(v)}" for k, v in run.caar.items())
    problems = f" ({len(run.errors)} problem(s))" if run.errors else ""
    return f"{run.study}: {run.status}, {run.n_ok} firms; {caar}{problems}"


def refresh_now(
    config: ProjectConfig | None,
    settings: Settings,
    progress: Callable[[str], None],
    *,
    export: bool = True,
) -> dmc.Alert:
    """Background job of "Refresh now": refresh every saved study; returns the inline report."""
    if config is None:
        return alert(NO_CONFIG, title="Nothing to refresh", color="yellow")
    done: list[str] = []

    def on_run(run: RunRecord) -> None:
        done.append(f"{run.study} {run.status}")
        progress(f"Refreshed {len(done)} of {len(config.studies)}: {', '.join(done)}")

    progress(f"Updating prices, then {len(config.studies)} stud(ies)")
    try:
        report = refresh(config, settings, export=export, on_run=on_run)
    except RefreshBusyError as exc:
        return alert(str(exc), title="Refresh not started", color="yellow")
    except AftershockError as exc:
        return alert(str(exc), title="Refresh failed")
    # A page callback must answer; the traceback goes to the server log.
    except Exception:
        logger.exception("refresh from the dashboard crashed")
        return alert(
            "An unexpected error stopped the refresh; the server log has the details.",
            title="Refresh failed",
        )
    record = report.record
    lines = [_run_line(run) for run in report.runs]
    lines += [e for e in record.errors if e.startswith("watchlists: ")][:_MAX_ERRORS]
    return alert(
        lines, title=f"Refresh finished: {record.status}", color=_STATUS_COLORS[record.status]
    )


# -- history and comparison -----------------------------------------------------------------------


def _studies(store_dir: Path, config: ProjectConfig | None) -> list[str]:
    saved = [s.name for s in config.studies] if config is not None else []
    runs = list_runs(store_dir)
    return list(dict.fromkeys([*saved, *runs["study"].astype(str)]))


def study_choices(
    store_dir: Path, config: ProjectConfig | None, current: str | None
) -> tuple[list[str], str | None]:
    """The study picker's options (config studies, then others with saved runs) and value."""
    names = _studies(store_dir, config)
    return names, current if current in names else (names[0] if names else None)


def _time(value: Any) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}"


def _day(value: Any) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def history(
    store_dir: Path, config: ProjectConfig | None, study: str | None
) -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]], str | None, str | None
]:
    """The run history of ``study``: ``(columnDefs, rowData, run options, run A, run B)``.

    Runs are newest first; A and B default to the two newest runs that computed a result.
    """
    if not study or study not in _studies(store_dir, config):
        return [], [], [], None, None
    records = list_runs(store_dir, study).to_dict("records")
    if not records:
        return [], [], [], None, None
    windows = [str(c).removeprefix("caar ") for c in records[0] if str(c).startswith("caar ")]
    rows = [
        {
            "run_id": run["run_id"],
            "started": _time(run["started"]),
            "status": run["status"],
            "n_ok": int(run["n_ok"]),
            "n_excluded": int(run["n_excluded"]),
            "data_end": _day(run["data_end"]),
            "errors": run["errors"],
            **{f"caar{i}": _number(run[f"caar {w}"]) for i, w in enumerate(windows)},
        }
        for run in records
    ]
    columns: list[dict[str, Any]] = [
        {"field": "started", "headerName": "Started (UTC)", "width": 175, "sort": "desc"},
        {
            "field": "status",
            "headerName": "Status",
            "width": 95,
            "cellClassRules": {f"status-{s}": f"params.value == '{s}'" for s in _STATUS_COLORS},
        },
        {"field": "n_ok", "headerName": "Firms", "width": 85},
        {"field": "n_excluded", "headerName": "Excluded", "width": 100},
        {"field": "data_end", "headerName": "Prices to", "width": 115},
        *(
            {
                "field": f"caar{i}",
                "headerName": f"CAAR {window_label(w)}",
                "valueFormatter": PCT_FORMAT,
                "cellClassRules": SIGN_CLASSES,
                "width": 125,
            }
            for i, w in enumerate(windows)
        ),
        {"field": "errors", "headerName": "Problems", "flex": 1, "tooltipField": "errors"},
    ]
    options = [
        {"value": row["run_id"], "label": f"{row['started']} UTC · {row['status']}"} for row in rows
    ]
    usable = [row["run_id"] for row in rows if row["status"] != "failed"]
    return columns, rows, options, usable[1] if len(usable) > 1 else None, next(iter(usable), None)


_COMPARE_COLUMNS: Final = [
    {"field": "window", "headerName": "Window", "width": 110},
    {"field": "firm", "headerName": "Firm", "width": 150},
    {"field": "day0", "headerName": "Day 0", "width": 115},
    *(
        {
            "field": field,
            "headerName": name,
            "valueFormatter": PCT_FORMAT,
            "cellClassRules": SIGN_CLASSES,
            "width": 130,
        }
        for field, name in (("a", "Run A"), ("b", "Run B"), ("diff", "Change (B − A)"))
    ),
]


def comparison(
    store_dir: Path, config: ProjectConfig | None, study: str | None, a: str | None, b: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Component | None]:
    """Runs ``a`` and ``b`` of ``study`` side by side: ``(columnDefs, rowData, alert)``.

    One row per window with the CAAR of both runs, then one per firm-event with its CAR; the
    change is B − A.
    """
    if not study or study not in _studies(store_dir, config):
        return [], [], None
    if not a or not b:
        listed = list_runs(store_dir, study)
        usable = int((listed["status"] != "failed").sum()) if len(listed) else 0
        if usable > 1:
            message = f"Pick two runs of {study} to compare."
        elif usable == 1:
            message = f"{study} has one run with a result so far: compare after its next refresh."
        else:
            message = f"No run of {study} has a result yet (see Problems above); fix, refresh."
        return [], [], alert(message, title="Two runs needed", color="gray")
    try:
        table = compare_runs(load_run(store_dir, study, a), load_run(store_dir, study, b))
    except AftershockError as exc:
        return [], [], alert(str(exc), title="These runs cannot be compared", color="yellow")
    rows = [
        {
            "window": window_label(str(row["window"])),
            "firm": "All firms (CAAR)" if row["measure"] == "caar" else str(row["ticker"]),
            "day0": _day(row["day0"]),
            "caar": row["measure"] == "caar",
            **{k: _number(row[k]) for k in ("a", "b", "diff")},
        }
        for row in table.to_dict("records")
    ]
    note = (
        alert("A and B are the same run: every change is zero.", title="Same run", color="gray")
        if a == b
        else None
    )
    return _COMPARE_COLUMNS, rows, note


# -- registration ---------------------------------------------------------------------------------


def register(
    app: Dash, settings: Settings, config: ProjectConfig | None, *, scheduled: bool = False
) -> None:
    """Register the drawer's callbacks on ``app``."""
    store = settings.store
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
        State(ids.RUNS_STAMP, "data"),
        prevent_initial_call=True,
    )
    def _status(opened: bool | None, _poll: Any, _report: Any, stamp: str | None) -> Any:
        if not opened:
            return no_update, no_update
        panel, new = refresh_status(store, config, scheduled=scheduled, now=dt.datetime.now(dt.UTC))
        return panel, no_update if new == stamp else new

    @app.callback(
        Output(ids.RUNS_STUDY, "data"),
        Output(ids.RUNS_STUDY, "value"),
        Input(ids.RUNS_STAMP, "data"),
        State(ids.RUNS_STUDY, "value"),
        prevent_initial_call=True,
    )
    def _study_picker(_stamp: Any, current: str | None) -> tuple[list[str], str | None]:
        return study_choices(store, config, current)

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
        columns, rows, options, a, b = history(store, config, study)
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
        columns, rows, note = comparison(store, config, study, a, b)
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
        return refresh_now(config, settings, progress)
