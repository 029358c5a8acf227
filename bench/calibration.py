"""Null calibration of every significance test on seeded random pseudo-events of the US pack.

Run ``python bench/calibration.py [--events 300] [--firms 50] [--seed 11]`` from the repository
root. Each pseudo-event is a full ``run_study`` (market model on SPY, estimation -250:-11,
windows 0:0, -1:1, -5:5, a 100-draw placebo and the 999-draw wild bootstrap) on firms and a
day 0 drawn at random, so no abnormal return is expected: a well-specified test rejects "no
effect" at 5% in about 5% of the pseudo-events (Monte Carlo standard error
``sqrt(0.05 · 0.95 / K)``, 1.3 points for K = 300). Two designs:

- ``clustered``: the firms share one random day 0, as in an event that hits a market (the
  DeepSeek day). Their ARs are cross-correlated, which the Kolari-Pynnönen adjustments, the
  portfolio t and the placebo account for and the tests that assume independent firms do not.
- ``scattered``: every firm gets its own random day 0, the textbook independent case.

Firms are drawn from a seeded pool of the pack's tickers with prices on every session of the
study's span (so N is the same in every pseudo-event). The pack is read once with a
``ticker in pool`` filter; the spike screen stays on (bad prints are excluded, as in any study).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds

# Runnable from a checkout without installing the package.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics.data.memory import MemoryPrices  # noqa: E402
from analytics.study.engine import run_study  # noqa: E402
from analytics.study.result import TEST_NAMES  # noqa: E402
from analytics.study.spec import StudySpec  # noqa: E402

US_PACK = REPO.parent / "shared/market-data/us-equities-daily.parquet"
BENCHMARK = "SPY"
ESTIMATION = (-250, -11)
WINDOWS = ((0, 0), (-1, 1), (-5, 5))
POOL = 3000
PLACEBO = 100
ALPHA = 0.05


def load_pool(pack: Path, size: int, seed: int) -> pd.DataFrame:
    """Adjusted closes (sessions × tickers) of ``size`` seeded random tickers and SPY."""
    dataset = ds.dataset(pack)
    names = pc.unique(dataset.to_table(columns=["ticker"])["ticker"]).to_pylist()
    rng = np.random.default_rng(seed)
    firms = [t for t in names if t != BENCHMARK and not t.startswith("^")]
    pool = sorted(rng.choice(firms, size=min(size, len(firms)), replace=False).tolist())
    table = dataset.to_table(filter=ds.field("ticker").isin([*pool, BENCHMARK]))
    long = table.to_pandas()
    wide = long.pivot_table(index="date", columns="ticker", values="adj_close", aggfunc="last")
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


def complete_firms(present: np.ndarray, row: int) -> np.ndarray:
    """Columns with a price on every session from one before the estimation to day +5."""
    first, last = row + ESTIMATION[0] - 1, row + WINDOWS[-1][1]
    return np.flatnonzero(present[first : last + 1].all(axis=0))


def draw_events(
    wide: pd.DataFrame, design: str, events: int, firms: int, seed: int
) -> list[pd.DataFrame]:
    """``events`` tables of ``ticker, date`` rows (``firms`` each) under ``design``."""
    rng = np.random.default_rng(seed)
    present = wide.drop(columns=BENCHMARK).notna().to_numpy()
    tickers = wide.drop(columns=BENCHMARK).columns.to_numpy()
    dates = wide.index
    spy = wide[BENCHMARK].notna().to_numpy()
    lo, hi = -ESTIMATION[0] + 2, len(dates) - WINDOWS[-1][1] - 1
    rows = np.array([r for r in range(lo, hi) if spy[r + ESTIMATION[0] - 1 : r + 6].all()])
    eligible = {int(r): complete_firms(present, int(r)) for r in rows}
    rows = np.array([r for r in rows if len(eligible[int(r)]) >= firms])
    out = []
    for _ in range(events):
        if design == "clustered":
            row = int(rng.choice(rows))
            chosen = rng.choice(eligible[row], size=firms, replace=False)
            out.append(pd.DataFrame({"ticker": tickers[chosen], "date": dates[row]}))
        else:
            picks: dict[str, pd.Timestamp] = {}
            while len(picks) < firms:
                row = int(rng.choice(rows))
                column = int(rng.choice(eligible[row]))
                picks.setdefault(str(tickers[column]), dates[row])
            out.append(pd.DataFrame({"ticker": list(picks), "date": list(picks.values())}))
    return out


def calibrate(
    prices: MemoryPrices, tables: list[pd.DataFrame], standardization: str, seed: int
) -> pd.DataFrame:
    """Per window and test: the share of pseudo-events with p < 5%, over those with a p."""
    rows = []
    for k, table in enumerate(tables):
        spec = StudySpec.create(
            events=table,
            benchmark=BENCHMARK,
            estimation=ESTIMATION,
            windows=WINDOWS,
            placebo=PLACEBO,
            seed=seed + k,
            standardization=standardization,
        )
        tests = run_study(spec, prices).tests
        tests["event"] = k
        rows.append(tests)
    frame = pd.concat(rows, ignore_index=True)
    frame["reject"] = frame["p"] < ALPHA
    valid = frame[frame["p"].notna()]
    rates = valid.pivot_table(index="test", columns="window", values="reject", aggfunc="mean")
    order = [*TEST_NAMES, "placebo"]
    keys = [f"{a}:{b}" for a, b in WINDOWS]
    rates = rates.reindex(index=[t for t in order if t in rates.index], columns=keys)
    rates["n_min"] = frame.groupby("test")["n"].min().reindex(rates.index)
    return rates


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, default=US_PACK)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--firms", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--standardization", default="exact", choices=["exact", "sum_sar"])
    parser.add_argument("--designs", default="clustered,scattered")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    wide = load_pool(args.pack, POOL, args.seed)
    prices = MemoryPrices(wide)
    print(f"pool: {wide.shape[1] - 1} tickers, {wide.shape[0]} dates "
          f"({time.perf_counter() - began:.1f} s)")  # fmt: skip
    se = (ALPHA * (1 - ALPHA) / args.events) ** 0.5
    for design in args.designs.split(","):
        began = time.perf_counter()
        tables = draw_events(wide, design, args.events, args.firms, args.seed)
        rates = calibrate(prices, tables, args.standardization, args.seed)
        seconds = time.perf_counter() - began
        print(
            f"\n{design}: {args.events} pseudo-events of {args.firms} firms, "
            f"standardization {args.standardization}, rejection rate at 5% "
            f"(MC s.e. {se:.1%}; {seconds:.0f} s)"
        )
        shown = rates.copy()
        for column in shown.columns[:-1]:
            shown[column] = shown[column].map(lambda v: f"{v:6.1%}")
        print(shown.to_string())


if __name__ == "__main__":
    main()
