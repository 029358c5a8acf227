"""Read time of a universe file of a million firm-events, CSV and Parquet.

Run ``python bench/universe.py [--rows 1000000] [--repeats 5]`` from the repository root. It
writes a seeded ``ticker,date,timing,size`` table (5,000 tickers, 3,000 days) once as CSV and
once as Parquet to a temporary folder and times ``read_universe`` on each (read, checks, the
text frame), next to pandas' C reader on the same CSV for scale. Printed: file sizes, best and
median seconds, events per second and the load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.cli.files import read_universe


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def table(rows: int) -> pa.Table:
    rng = np.random.default_rng(12)
    names = pa.array([f"T{i:04d}" for i in range(5000)])
    days = np.datetime64("2015-01-02") + rng.integers(0, 3000, rows)
    return pa.table(
        {
            "ticker": names.take(pa.array(rng.integers(0, 5000, rows))),
            "date": pa.array(days.astype("datetime64[D]")),
            "timing": pa.array(np.where(rng.random(rows) < 0.5, "after_close", "before_open")),
            "size": pa.array(rng.integers(1, 10_000, rows)),
        }
    )


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - began)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="firm-events in the file")
    parser.add_argument("--repeats", type=int, default=5, help="reads of each file")
    args = parser.parse_args()
    events = table(args.rows)
    with tempfile.TemporaryDirectory(prefix="aftershock-bench-") as tmp:
        csv, parquet = Path(tmp) / "universe.csv", Path(tmp) / "universe.parquet"
        pa_csv.write_csv(events, csv)
        pq.write_table(events, parquet)
        text = csv.read_text(encoding="utf-8")
        runs = {
            "read_universe, CSV": (csv, lambda: read_universe(csv)),
            "read_universe, Parquet": (parquet, lambda: read_universe(parquet)),
            "pandas C reader, CSV (for scale)": (
                csv,
                lambda: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False),
            ),
        }
        print(f"{args.rows:,} firm-events; {load()}")
        for label, (path, run) in runs.items():
            seconds = timed(run, args.repeats)
            best, median = min(seconds), statistics.median(seconds)
            print(
                f"{label:<34} {path.stat().st_size / 2**20:6.1f} MiB  best {best:6.3f} s  "
                f"median {median:6.3f} s  {args.rows / best / 1e6:5.1f} M events/s"
            )
    print(load())


if __name__ == "__main__":
    main()
