"""``aftershock study``: run an event study from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analytics.article_study import propose_study
from analytics.data.sync import FetchReport
from analytics.errors import DataError, SpecError
from analytics.study.engine.chunked import CHUNK_SIZE, ChunkedResult
from analytics.study.options import StudyOptions
from analytics.study.serialize import plain, records
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace
from app.charts.reports import latex_tables, study_workbook
from app.charts.tables import study_settings
from app.cli import output
from app.cli.files import check_directory_destination, check_file_destination, write_output
from app.cli.news import read_article_source
from app.cli.options import StoreOpt, build_spec, study_options
from app.cluster import cluster_mapper
from app.settings import load_settings, open_workspace

__all__ = ["study"]


def _article_spec(source: str, options: StudyOptions, workspace: Workspace) -> StudySpec:
    """The study the article proposes, with the other options as given."""
    given = [f for f in ("tickers", "universe_file", "event_date") if f in options.model_fields_set]
    if given:
        flags = ", ".join("--" + f.replace("_", "-") for f in given)
        raise SpecError(f"--article: proposes the tickers and day 0 itself; drop {flags}")
    if workspace.reference is None:
        raise DataError(
            "AFTERSHOCK_REFERENCE: not set; --article needs the reference tables to find the "
            "article's companies (e.g. AFTERSHOCK_REFERENCE=../shared/reference)"
        )
    proposal = propose_study(
        read_article_source(source, offline=workspace.offline),
        workspace.reference,
        available=workspace.available_tickers(),
    )
    t = proposal.timing
    output.note(
        f"article: day 0 {t.day0:%a %d %b %Y} ({t.reason}); {len(proposal.universe)} tickers, "
        f"benchmark {proposal.benchmark}"
    )
    return proposal.spec(options)


_LISTED = 20
"""Most tickers without prices named one per line; the rest are counted."""


def _report_chunked(result: ChunkedResult, *, json_out: Path | None, csv_dir: Path | None) -> None:
    """Print (or write) what an out-of-core study found; say where its per-firm tables are."""
    tables = {"aggregate": result.aggregate, "tests": result.tests, "aar": result.aar}
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            write_output(csv_dir / f"{name}.csv", frame.to_csv(index=False), "--csv")
        output.note(f"wrote aggregate.csv, tests.csv and aar.csv into {csv_dir}")
    if json_out is not None:
        document = {name: records(frame) for name, frame in tables.items()}
        text = json.dumps(plain({**document, "tables": str(result.folder)}), indent=2)
        write_output(json_out, text, "--json")
        output.result(f"wrote {json_out}")
    else:
        with pd.option_context("display.width", 120, "display.max_columns", 10):
            tests = result.tests
            wide = tests.pivot(index="test", columns="window", values="p").reindex(
                list(dict.fromkeys(tests["test"]))
            )
            output.result(
                f"{result!r}\n\n{result.aggregate.to_string(index=False)}\n\n"
                f"p-values by window:\n{wide[list(result.spec.window_keys)].to_string()}"
            )
    output.note(f"per-firm tables (Parquet): {result.folder}")


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
    xlsx_out: Annotated[
        Path | None,
        typer.Option("--xlsx", help="Write the result's tables as an Excel workbook (.xlsx)."),
    ] = None,
    latex_out: Annotated[
        Path | None,
        typer.Option("--latex", help="Write booktabs LaTeX tables of CAAR and every test."),
    ] = None,
    article: Annotated[
        str | None,
        typer.Option(
            "--article",
            help="Study what this article proposes (a text file or an http(s) address): its "
            "day 0, timing, universe and benchmark.",
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            min=1,
            help="Run out of core, this many firm-events per chunk (default 5,000 with "
            "--cluster); per-firm tables go to Parquet under the store's results/.",
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Run the chunks on Dask: local, local:N (a LocalCluster of N workers) or a "
            "scheduler address tcp://HOST:8786. Implies out of core.",
        ),
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
    for path, flag, example in (
        (xlsx_out, "--xlsx", "study.xlsx"),
        (latex_out, "--latex", "tables.tex"),
    ):
        if path is not None:
            check_file_destination(path, flag, example)
    settings = load_settings(store)
    workspace = open_workspace(settings, factors_file=options.factors)
    spec = build_spec(options) if article is None else _article_spec(article, options, workspace)

    def warn_missing(report: FetchReport) -> None:
        missing = sorted(report.missing.items())
        for ticker, reason in missing[:_LISTED]:
            output.warning(f"no prices for {ticker}: {reason}")
        if len(missing) > _LISTED:
            output.warning(f"… and {len(missing) - _LISTED:,} more tickers without prices")

    if chunk_size is not None or cluster is not None:
        for path, flag in ((xlsx_out, "--xlsx"), (latex_out, "--latex")):
            if path is not None:
                raise SpecError(f"{flag}: not written out of core; drop --chunk-size and --cluster")
        with cluster_mapper(cluster) as mapper:
            chunked = workspace.run_chunked(
                spec, chunk_size=chunk_size or CHUNK_SIZE, mapper=mapper, fetched=warn_missing
            )
        _report_chunked(chunked, json_out=json_out, csv_dir=csv_dir)
        return
    result = workspace.run(spec, fetched=warn_missing)
    if csv_dir is not None:
        try:
            result.to_csv(csv_dir)
        except OSError as exc:
            raise DataError(f"--csv: cannot write into {csv_dir} ({exc.strerror or exc})") from exc
    if xlsx_out is not None:
        write_output(xlsx_out, study_workbook(result.to_frames(), study_settings(result)), "--xlsx")
        output.note(f"wrote {xlsx_out}")
    if latex_out is not None:
        write_output(latex_out, latex_tables(result), "--latex")
        output.note(f"wrote {latex_out}")
    if json_out is not None:
        write_output(json_out, result.to_json(), "--json")
        output.result(f"wrote {json_out}")
        # The summary lists warnings and exclusions; without it they go to stderr.
        for warning in result.warnings:
            output.warning(warning)
        excluded = result.excluded
        for row in excluded.head(_LISTED).itertuples(index=False):
            where = "" if row.window == "all" else f" (window {row.window})"
            output.warning(f"{row.ticker}{where}: {str(row.reason).removeprefix('excluded: ')}")
        if len(excluded) > _LISTED:
            output.warning(f"… and {len(excluded) - _LISTED:,} more exclusions")
    else:
        output.result(str(result.summary()))
