"""``aftershock refresh``: update prices and re-run the saved studies of the project config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli import exits, output
from app.cli.options import StoreOpt
from app.config import find_config, load_config
from app.jobs import refresh as refreshing
from app.jobs.archive import RunRecord
from app.jobs.newswatch import NewsWatch
from app.settings import load_settings

__all__ = ["EXIT_BUSY", "EXIT_FAILED", "ConfigOpt", "refresh"]

EXIT_FAILED = exits.FAILED
"""Exit code when at least one study failed."""
EXIT_BUSY = exits.BUSY
"""Exit code when another refresh of the store is running."""

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Project config (TOML). Default: AFTERSHOCK_CONFIG, else ./aftershock.toml.",
        show_default=False,
    ),
]
_COLORS = {"ok": typer.colors.GREEN, "partial": typer.colors.YELLOW, "failed": typer.colors.RED}


def _line(run: RunRecord) -> None:
    """One line per study: status, name, run id, firms and CAAR per window (or the error)."""
    head = f"{run.status:<8}{run.study:<24}"
    if run.status == "failed":
        typer.secho(f"{head}{run.errors[-1]}", fg=_COLORS[run.status])
        return
    caar = "  ".join(
        f"CAAR {key} {'n/a' if value is None else f'{value:+.2%}'}"
        for key, value in run.caar.items()
    )
    problems = f"  ({len(run.errors)} problem(s): {run.errors[0]})" if run.errors else ""
    typer.secho(
        f"{head}run {run.run_id}  {run.n_ok} ok, {run.n_excluded} excluded  {caar}{problems}",
        fg=_COLORS[run.status],
    )


def _news(news: NewsWatch) -> None:
    for line in news.lines:
        typer.secho(line, fg="yellow" if line in news.problems else None)


def refresh(
    config: ConfigOpt = None,
    study: Annotated[
        list[str] | None,
        typer.Option("--study", help="Refresh only this study (repeat for several)."),
    ] = None,
    store: StoreOpt = None,
    no_export: Annotated[
        bool, typer.Option("--no-export", help="Do not write the charts.")
    ] = False,
) -> None:
    """Read the config's news feeds, update prices, re-run the config's saved studies, save the
    runs and export their charts.

    Exits with 1 if a study failed, 2 for a bad config, 3 if another refresh is running.
    """
    settings = load_settings(store)
    project = load_config(find_config(config or settings.config))
    try:
        report = refreshing.refresh(
            project, settings, studies=study, export=not no_export, on_run=_line, on_news=_news
        )
    except refreshing.RefreshBusyError as exc:
        output.error(str(exc))
        raise typer.Exit(EXIT_BUSY) from None
    for problem in report.record.errors:
        if problem.startswith("watchlists: "):
            output.warning(problem)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)
