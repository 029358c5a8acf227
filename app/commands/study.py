"""``aftershock study``: run an event study from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analytics.errors import DataError
from app import pipeline
from app.commands.options import (
    Benchmark,
    EstimationOpt,
    EventDate,
    FactorsFile,
    MinEstimation,
    ModelOpt,
    Placebo,
    ReturnsOpt,
    StoreOpt,
    TickersOpt,
    TimingOpt,
    UniverseFile,
    WindowsOpt,
    build_spec,
    check_directory_destination,
    check_file_destination,
    write_output,
)
from app.settings import load_settings

__all__ = ["study"]

_LISTED = 20
"""Most tickers without prices named one per line; the rest are counted."""


def study(
    event_date: EventDate = None,
    timing: TimingOpt = "before_open",
    tickers: TickersOpt = None,
    universe_file: UniverseFile = None,
    benchmark: Benchmark = "SPY",
    model: ModelOpt = "market",
    factors: FactorsFile = None,
    estimation: EstimationOpt = "-250:-11",
    window: WindowsOpt = None,
    returns: ReturnsOpt = "simple",
    min_estimation: MinEstimation = 120,
    placebo: Placebo = 200,
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
    if json_out is not None:
        check_file_destination(json_out, "--json")
    if csv_dir is not None:
        check_directory_destination(csv_dir, "--csv")
    spec = build_spec(
        event_date=event_date,
        timing=timing,
        tickers=tickers,
        universe_file=universe_file,
        benchmark=benchmark,
        model=model,
        estimation=estimation,
        windows=window,
        returns=returns,
        min_estimation=min_estimation,
        placebo=placebo,
    )
    result, report = pipeline.run(spec, load_settings(store), factors_file=factors)
    missing = sorted(report.missing.items())
    for ticker, reason in missing[:_LISTED]:
        typer.secho(f"no prices for {ticker}: {reason}", err=True, fg=typer.colors.YELLOW)
    if len(missing) > _LISTED:
        typer.secho(
            f"… and {len(missing) - _LISTED:,} more tickers without prices",
            err=True,
            fg=typer.colors.YELLOW,
        )
    if csv_dir is not None:
        try:
            result.to_csv(csv_dir)
        except OSError as exc:
            raise DataError(f"--csv: cannot write into {csv_dir} ({exc.strerror or exc})") from exc
    if json_out is not None:
        write_output(json_out, result.to_json(), "--json")
        typer.echo(f"wrote {json_out}")
    else:
        typer.echo(result.summary())
