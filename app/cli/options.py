"""Study options shared by `aftershock study` and `aftershock export`, and the spec they build."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from analytics.errors import DataError, SpecError
from analytics.study.spec import StudySpec

__all__ = [
    "Benchmark",
    "EstimationOpt",
    "EventDate",
    "FactorsFile",
    "MinEstimation",
    "ModelOpt",
    "Placebo",
    "ReturnsOpt",
    "StoreOpt",
    "TickersOpt",
    "TimingOpt",
    "UniverseFile",
    "WindowsOpt",
    "build_spec",
    "read_universe",
]

EventDate = Annotated[
    str | None, typer.Option("--event-date", help="Event date YYYY-MM-DD (day 0 is resolved).")
]
TimingOpt = Annotated[
    str, typer.Option("--timing", help="before_open | during_session | after_close.")
]
TickersOpt = Annotated[
    str | None, typer.Option("--tickers", help="Comma-separated tickers, e.g. NVDA,AVGO,MSFT.")
]
UniverseFile = Annotated[
    Path | None,
    typer.Option(
        "--universe-file",
        help="Tickers one per line, or a CSV with ticker,date[,timing] columns (one row per "
        "firm-event, each with its own date).",
    ),
]
Benchmark = Annotated[str, typer.Option("--benchmark", help="Market benchmark ticker.")]
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="market | market_adjusted | constant_mean | capm | ff3 | ff5 | carhart | etf_factors.",
    ),
]
FactorsFile = Annotated[
    Path | None,
    typer.Option(
        "--factors",
        help="Daily factor returns for ff3/ff5/carhart/etf_factors: CSV or Parquet with a date "
        "column and one column per factor (e.g. Mkt-RF, SMB, HML, RF), or a Kenneth French daily "
        "file. Default: Kenneth French's data library, cached in the store.",
    ),
]
EstimationOpt = Annotated[
    str, typer.Option("--estimation", help="Estimation window a:b in trading days, e.g. -250:-11.")
]
WindowsOpt = Annotated[
    list[str] | None,
    typer.Option("--window", help="Event window a:b (repeat). Default: 0:0, -1:1, -5:5."),
]
ReturnsOpt = Annotated[str, typer.Option("--returns", help="simple | log.")]
MinEstimation = Annotated[
    int, typer.Option("--min-estimation", help="Fewest valid estimation returns a firm needs.")
]
Placebo = Annotated[
    int, typer.Option("--placebo", help="Placebo pseudo-events for the empirical CAAR p (0: off).")
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store directory (default: AFTERSHOCK_HOME or user data dir)."),
]


def read_universe(path: Path) -> tuple[list[str] | None, pd.DataFrame | None]:
    """Read a universe file: a ticker list, or a ``ticker,date[,timing]`` event table."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"--universe-file: cannot read {path} as text ({exc})") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError(f"--universe-file: {path} is empty; list one ticker per line")
    header = [h.strip().lower() for h in lines[0].split(",")]
    if "ticker" in header and "date" in header:
        table = pd.read_csv(path, dtype=str, skipinitialspace=True)
        table.columns = [str(c).strip().lower() for c in table.columns]
        return None, table
    tickers = [t.strip() for line in lines for t in line.split(",") if t.strip()]
    if tickers and tickers[0].lower() == "ticker":
        tickers = tickers[1:]
    return tickers, None


def build_spec(
    *,
    event_date: str | None,
    timing: str,
    tickers: str | None,
    universe_file: Path | None,
    benchmark: str,
    model: str,
    estimation: str,
    windows: list[str] | None,
    returns: str,
    min_estimation: int,
    placebo: int,
) -> StudySpec:
    """Validate the CLI's study options into a :class:`StudySpec`."""
    names = [t for t in (tickers or "").split(",") if t.strip()]
    events = None
    if universe_file is not None:
        listed, events = read_universe(universe_file)
        names += listed or []
    if events is None and not names:
        raise SpecError("--tickers: no tickers given; pass --tickers NVDA,AVGO or --universe-file")
    if events is None and event_date is None:
        raise SpecError("--event-date: required (YYYY-MM-DD) unless the universe file has dates")
    common = {
        "benchmark": benchmark,
        "model": model,
        "estimation": estimation,
        "windows": windows or ("0:0", "-1:1", "-5:5"),
        "returns": returns,
        "min_estimation": min_estimation,
        "placebo": placebo,
        "seed": 0,
    }
    if events is not None:
        return StudySpec.create(events=events, timing=timing, **common)  # type: ignore[arg-type]
    return StudySpec.create(tickers=names, date=event_date, timing=timing, **common)  # type: ignore[arg-type]
