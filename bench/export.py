"""Benchmark of static chart export through one persistent headless Chromium.

Run ``python bench/export.py [--rounds 5] [--tabs 2]`` from the repository root. It runs the
DeepSeek study (2025-01-27, the whole DeepSeek pack universe), builds the six dashboard figures
and renders them ``rounds`` times as 1200×700 PNGs at scale 2. Target: at least 4 charts/s once
the browser is up; first-chart latency (browser start + first render) is reported separately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.data.memory import MemoryPrices
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from app.charts.export import FigureExporter, export_figures
from app.charts.figures import ChartInputs, event_day0, window_figures

SHARED = Path(__file__).resolve().parents[2] / "shared"
TARGET = 4.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="renders of the six figures")
    parser.add_argument("--tabs", type=int, default=2, help="browser tabs rendering in parallel")
    parser.add_argument("--shared", type=Path, default=SHARED, help="shared data directory")
    args = parser.parse_args()

    began = time.perf_counter()
    long = pd.read_parquet(args.shared / "market-data/deepseek-universe.parquet")
    wide = long.pivot(index="date", columns="ticker", values="adj_close")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    firms = [t for t in wide.columns if not t.startswith("^") and t != "SPY"]
    spec = StudySpec.create(tickers=firms, date="2025-01-27", timing="before_open")
    sp500 = pd.read_csv(args.shared / "reference/sp500-companies-2024-12-20.csv")
    caps = sp500.assign(date=pd.Timestamp("2024-12-20"))[["ticker", "date", "market_cap"]]
    result = run_study(spec, MemoryPrices(wide), market_caps=caps)
    print(f"{'study (' + str(len(firms)) + ' firms)':<36} {time.perf_counter() - began:8.2f} s")

    began = time.perf_counter()
    inputs = ChartInputs(
        headline="DeepSeek's Market Jolt: US Stocks Shed Trillions",
        prices=wide.loc["2025-01-06":"2025-02-14", ["NVDA", "AVGO", "TSM", "VST", "KO", "SPY"]],
        day0=event_day0(result.firms),
        sectors=sp500.set_index("ticker")["sector"],
        market_values=sp500.set_index("ticker")["market_cap"],
    )
    figs = window_figures(result, inputs, window="-1:1")
    print(f"{'build the 6 figures':<36} {time.perf_counter() - began:8.2f} s")

    began = time.perf_counter()
    with FigureExporter(tabs=args.tabs) as exporter:
        started = time.perf_counter() - began
        exporter.to_png_bytes(figs["caar"])
        first = time.perf_counter() - began
        print(f"{'browser start':<36} {started:8.2f} s")
        print(f"{'first-chart latency (start + render)':<36} {first:8.2f} s")

        per_round = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            images = exporter.render(list(figs.values()))
            per_round.append(time.perf_counter() - t0)
            assert all(img[:4] == b"\x89PNG" for img in images)
        charts = len(figs) * args.rounds
        rate = charts / sum(per_round)
        print(
            f"{f'{charts} charts, batches of {len(figs)}':<36} {sum(per_round):8.2f} s"
            f"  = {rate:.1f} charts/s (median batch {statistics.median(per_round):.2f} s)"
        )

        with tempfile.TemporaryDirectory(prefix="aftershock-bench-") as tmp:
            t0 = time.perf_counter()
            paths = export_figures(figs, tmp, exporter=exporter)
            took = time.perf_counter() - t0
            size = sum(p.stat().st_size for p in paths) / 1e6
            print(f"{'export_figures to disk (6 PNGs)':<36} {took:8.2f} s  ({size:.1f} MB)")
    verdict = "met" if rate >= TARGET else "MISSED"
    print(f"target >= {TARGET:g} charts/s: {verdict}")


if __name__ == "__main__":
    main()
