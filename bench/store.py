"""Benchmark of the price store on the full US pack: import, queries, size, memory.

Run ``python bench/store.py [--pack PATH]`` from the repository root. Targets: import < 60 s on
two cores; a query of every ticker over 300 sessions < 0.5 s warm. "Cold" uses a fresh
``PriceStore`` (new DuckDB instance); the operating system's file cache stays warm.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.calendar import offset, previous_session
from analytics.data.schema import split_invalid
from analytics.data.store import PriceStore

DEFAULT_PACK = Path(__file__).resolve().parents[2] / "shared/market-data/us-equities-daily.parquet"
WINDOW = 300


@contextmanager
def timed(label: str) -> Iterator[None]:
    began = time.perf_counter()
    yield
    print(f"{label:<40} {time.perf_counter() - began:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK, help="long Parquet price pack")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aftershock-bench-") as tmp:
        store = PriceStore(Path(tmp) / "store")
        with timed("import total (read, split_invalid, upsert)"):
            with timed("  read pack"):
                frame = pd.read_parquet(args.pack)
            with timed("  split_invalid"):
                valid, invalid = split_invalid(frame, origin=str(args.pack))
            del frame
            with timed("  upsert into an empty store"):
                written = store.upsert(valid, origin=str(args.pack))
        print(f"rows written {written:,}; invalid rows dropped {len(invalid):,}")
        with timed("re-upsert the same rows"):
            again = store.upsert(valid, origin=str(args.pack))
        print(f"rows changed by the re-upsert: {again:,}")
        last = pd.Timestamp(valid["date"].max())
        del valid
        end = last if last.weekday() < 5 else previous_session(last)
        start = offset(end, -(WINDOW - 1))
        with timed("coverage of the window, all tickers"):
            tickers = store.coverage(start=start, end=end)["ticker"].tolist()
        print(f"window {start.date()}..{end.date()}: {len(tickers):,} tickers with data")
        for run, reader in (("cold", PriceStore(store.root)), ("warm", store)):
            with timed(f"long frame, {run}"):
                long = reader.prices(tickers, start, end)
            with timed(f"wide panel, {run}"):
                wide = reader.panel(tickers, start, end)
        print(
            f"long frame {long.shape}; panel {wide.shape}, {wide.notna().to_numpy().mean():.1%} set"
        )
        with timed("panel of 10 tickers"):
            store.panel(tickers[:10], start, end)
        with timed("missing_ranges, all tickers"):
            store.missing_ranges(tickers, start, end)
        mib = store.disk_usage() / 2**20
        print(f"store size on disk: {mib:.1f} MiB in {len(store.files())} files")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"peak RSS: {peak:.2f} GiB")


if __name__ == "__main__":
    main()
