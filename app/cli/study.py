"""``aftershock study``: run an event study from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analytics.data.sync import FetchReport
from analytics.errors import DataError
from analytics.study.options import StudyOptions
from app.cli import output
from app.cli.files import check_directory_destination, check_file_destination, write_output
from app.cli.options import StoreOpt, build_spec, study_options
from app.settings import load_settings, open_workspace

__all__ = ["study"]

_LISTED = 20
"""Most tickers without prices named one per line; the rest are counted."""


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
    if json_out is not None:
        check_file_destination(json_out, "--json")
    if csv_dir is not None:
        check_directory_destination(csv_dir, "--csv")
    spec = build_spec(options)

    def warn_missing(report: FetchReport) -> None:
        missing = sorted(report.missing.items())
        for ticker, reason in missing[:_LISTED]:
            output.warning(f"no prices for {ticker}: {reason}")
        if len(missing) > _LISTED:
            output.warning(f"… and {len(missing) - _LISTED:,} more tickers without prices")

    workspace = open_workspace(load_settings(store), factors_file=options.factors)
    result = workspace.run(spec, fetched=warn_missing)
    if csv_dir is not None:
        try:
            result.to_csv(csv_dir)
        except OSError as exc:
            raise DataError(f"--csv: cannot write into {csv_dir} ({exc.strerror or exc})") from exc
    if json_out is not None:
        write_output(json_out, result.to_json(), "--json")
        output.result(f"wrote {json_out}")
        # The summary lists them; without it they go to stderr (the file has them too).
        for warning in result.warnings:
            output.warning(warning)
    else:
        output.result(str(result.summary()))
