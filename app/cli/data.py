"""``aftershock data``: import data packs into the local store, fetch missing prices, inspect it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analytics.calendar import parse_date
from analytics.data.sources import Source
from analytics.data.sources.files import DataPackSource, read_pack, split_pack
from analytics.data.sources.yahoo import YahooSource
from analytics.data.store import PriceStore
from analytics.data.sync import fetch
from analytics.errors import SpecError
from analytics.study.spec import parse_tickers
from app.settings import Settings, load_settings

__all__ = ["cli", "fetch_prices", "import_pack", "info"]

cli = typer.Typer(
    name="data",
    help="Import, fetch and inspect the local price store.",
    no_args_is_help=True,
    add_completion=False,
)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store directory (default: AFTERSHOCK_HOME, else the user data directory).",
        show_default=False,
    ),
]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@cli.command("import")
def import_pack(
    path: Annotated[Path, typer.Argument(help="A .parquet/.csv data pack or a directory of them.")],
    drop_invalid: Annotated[
        bool,
        typer.Option("--drop-invalid", help="Skip invalid rows (reported) instead of failing."),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Import a data pack into the store; re-importing the same data changes nothing."""
    console = _console()
    target = PriceStore(load_settings(store).store)
    with console.status(f"reading {path}"):
        if drop_invalid:
            frame, invalid = split_pack(path)
        else:
            frame, invalid = read_pack(path), None
    if invalid is not None and len(invalid):
        reasons = invalid["reason"].value_counts()
        console.print(
            f"skipped {len(invalid):,} invalid rows: "
            + ", ".join(f"{n:,} {reason}" for reason, n in reasons.items())
        )
    years = frame["date"].dt.year
    changed = 0
    with _progress(console) as bar:
        task = bar.add_task("importing years", total=int(years.nunique()))
        # One upsert per year: each commits on its own, so an interrupted import keeps the
        # years already written, and progress is visible.
        for _, part in frame.groupby(years, sort=True):
            changed += target.upsert(part, origin=str(path))
            bar.advance(task)
    console.print(
        f"imported {len(frame):,} rows of {frame['ticker'].nunique():,} tickers from {path} "
        f"into {target.root} ({changed:,} new or changed)"
    )


def _sources(settings: Settings) -> list[Source]:
    sources: list[Source] = []
    if settings.data_pack is not None:
        sources.append(DataPackSource(settings.data_pack))
    if not settings.offline:
        sources.append(YahooSource(cache_dir=settings.store / "yfinance-cache"))
    if not sources:
        raise SpecError(
            "AFTERSHOCK_OFFLINE is set and AFTERSHOCK_DATA is not: no source to fetch from; "
            "point AFTERSHOCK_DATA at a data pack directory, or unset AFTERSHOCK_OFFLINE"
        )
    return sources


@cli.command("fetch")
def fetch_prices(
    tickers: Annotated[str, typer.Argument(help="Comma-separated symbols, e.g. NVDA,SPY,^IRX.")],
    start: Annotated[str, typer.Option("--start", help="First date, YYYY-MM-DD.")],
    end: Annotated[
        str | None, typer.Option("--end", help="Last date, YYYY-MM-DD (default: today).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Fetch prices the store lacks: from the data pack (AFTERSHOCK_DATA), then Yahoo Finance.

    Exits with status 1 if some ticker ends up without any price in the range.
    """
    names = parse_tickers(tickers, name="TICKERS")
    first = parse_date(start, name="--start")
    last = parse_date(pd.Timestamp.today() if end is None else end, name="--end")
    settings = load_settings(store)
    target = PriceStore(settings.store)
    sources = _sources(settings)
    console = _console()
    with _progress(console) as bar:
        task = bar.add_task("fetching", total=None)
        report = fetch(
            target,
            names,
            first,
            last,
            sources=sources,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    console.print(
        f"fetched {sum(report.fetched.values()):,} rows for {len(report.fetched):,} of "
        f"{len(names):,} tickers ({report.rows_written:,} new or changed) into {target.root}"
    )
    for error in report.errors:
        console.print(f"source error: {error}", style="yellow")
    for ticker, reason in report.missing.items():
        console.print(f"no prices for {ticker}: {reason}", style="red")
    if report.missing:
        raise typer.Exit(1)


@cli.command("info")
def info(
    tickers: Annotated[
        str | None, typer.Argument(help="Comma-separated symbols (default: every ticker).")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Most tickers listed when none are named; 0: all.")
    ] = 20,
    store: StoreOption = None,
) -> None:
    """Show what the store holds: coverage per ticker, totals and size on disk."""
    console = _console()
    target = PriceStore(load_settings(store).store)
    names = None if tickers is None else parse_tickers(tickers, name="TICKERS")
    coverage = target.coverage(names)
    totals = coverage if names is None else target.coverage()
    if totals.empty:
        console.print(f"store {target.root} is empty; add prices with: aftershock data import PATH")
        return
    shown = coverage if names is not None or limit <= 0 else coverage.head(limit)
    table = Table("ticker", "first", "last")
    table.add_column("rows", justify="right")
    cells = zip(
        shown["ticker"],
        shown["first"].dt.strftime("%Y-%m-%d").fillna("-"),
        shown["last"].dt.strftime("%Y-%m-%d").fillna("-"),
        shown["rows"].map("{:,}".format),
        strict=True,
    )
    for cell in cells:
        table.add_row(*cell)
    console.print(table)
    if len(shown) < len(coverage):
        console.print(f"... {len(coverage) - len(shown):,} more tickers (--limit 0 lists all)")
    console.print(
        f"store {target.root}: {int(totals['rows'].sum()):,} rows of {len(totals):,} tickers, "
        f"{target.disk_usage() / 2**20:,.1f} MiB on disk"
    )
