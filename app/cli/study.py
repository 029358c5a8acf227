"""``aftershock study``: run an event study from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analytics.data.sync import FetchReport
from analytics.study.options import StudyOptions
from app.cli.options import StoreOpt, build_spec, study_options
from app.settings import load_settings, open_workspace

__all__ = ["study"]


@study_options
def study(
    options: StudyOptions,
    store: StoreOpt = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON to this file.")
    ] = None,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv", help="Write the result's tables as CSV files here.")
    ] = None,
) -> None:
    """Run an event study; prints the summary unless --json is given.

    Missing prices are fetched first (data pack, then Yahoo Finance when online). Factor models
    read --factors FILE, else Kenneth French's data library, cached in the store.
    """
    spec = build_spec(options)

    def warn_missing(report: FetchReport) -> None:
        for ticker, reason in sorted(report.missing.items()):
            typer.secho(f"no prices for {ticker}: {reason}", err=True, fg=typer.colors.YELLOW)

    workspace = open_workspace(load_settings(store), factors_file=options.factors)
    result = workspace.run(spec, fetched=warn_missing)
    if csv_dir is not None:
        result.to_csv(csv_dir)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(result.to_json(), encoding="utf-8")
        typer.echo(f"wrote {json_out}")
    else:
        typer.echo(result.summary())
