"""The drawer's status: the last refresh, what is running, the schedules, and "Refresh now"."""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import dash_mantine_components as dmc
import pandas as pd
from dash import html
from dash.development.base_component import Component

from analytics.errors import AftershockError, StoreError
from app.charts.formatting import window_label
from app.config import ProjectConfig
from app.dashboard.components import alert
from app.jobs.archive import RunRecord, last_refresh
from app.jobs.refresh import RefreshBusyError, refresh, refresh_owner
from app.jobs.scheduler import next_runs
from app.settings import Settings

__all__ = ["NO_CONFIG", "STATUS_COLORS", "refresh_now", "refresh_status"]

logger = logging.getLogger(__name__)

NO_CONFIG: Final = (
    "No project config is loaded, so there are no saved studies to refresh. Start the dashboard "
    "with aftershock serve --config aftershock.toml (or set AFTERSHOCK_CONFIG); "
    "examples/aftershock.toml is a template."
)

STATUS_COLORS: Final = {"ok": "green", "partial": "yellow", "failed": "red"}
"""Badge colour of a refresh or run status."""
_MAX_ERRORS: Final = 6


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
                    dmc.Badge(last.status, color=STATUS_COLORS[last.status], variant="light"),
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
    lines = [*report.news, *(_run_line(run) for run in report.runs)]
    lines += [e for e in record.errors if e.startswith("watchlists: ")][:_MAX_ERRORS]
    return alert(
        lines, title=f"Refresh finished: {record.status}", color=STATUS_COLORS[record.status]
    )
