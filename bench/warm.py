"""Warm-store speed against the PyPI package ``eventstudy``, measured side by side in one run.

Run ``python bench/warm.py [--firms 1000] [--repeats 9]`` from the repository root (it builds
``bench/out/store`` from the US pack on first use, as ``bench/study.py`` does). The study: the
DeepSeek day (2025-01-27), market model on SPY, estimation -250:-11, windows -1:1 and -5:5,
every test but the placebo, on ``--firms`` seeded random US firms with complete prices, then on
every complete firm. Ours is ``StudySpec.create`` plus ``run_study`` on the warm store (the
store's decoded files in memory after a first run); ``eventstudy``'s is its market model on
the same firms and windows, in memory, fed our returns (its t-test only). Printed: best and
median times, "eventstudy / aftershock = N×" and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from study import BENCHMARK, DEEPSEEK_DAY, DEFAULT_STORE, build_store  # noqa: E402

from analytics.calendar import offset  # noqa: E402
from analytics.data.store import PriceStore  # noqa: E402
from analytics.study.engine import data_requirements, run_study  # noqa: E402
from analytics.study.spec import StudySpec  # noqa: E402

ESTIMATION = (-250, -11)
WINDOWS = ((-1, 1), (-5, 5))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def timed(run: Callable[[], object], repeats: int) -> list[float]:
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - began)
    return seconds


def spread(seconds: list[float]) -> str:
    return f"best {1000 * min(seconds):7.1f} ms, median {1000 * statistics.median(seconds):7.1f} ms"


def complete_firms(store: PriceStore) -> list[str]:
    """Tickers with a price on every session from day -251 to day +5 (the benchmark left out)."""
    coverage = store.coverage(
        start=offset(DEEPSEEK_DAY, ESTIMATION[0] - 1), end=offset(DEEPSEEK_DAY, WINDOWS[-1][1])
    )
    most = int(coverage["rows"].max())
    full = coverage.loc[coverage["rows"] == most, "ticker"]
    return sorted(t for t in full if t != BENCHMARK and not t.startswith("^"))


def ours(store: PriceStore, firms: list[str]) -> Callable[[], object]:
    def run() -> object:
        spec = StudySpec.create(
            tickers=firms,
            date=DEEPSEEK_DAY,
            benchmark=BENCHMARK,
            model="market",
            estimation=ESTIMATION,
            windows=WINDOWS,
            placebo=0,
        )
        return run_study(spec, store)

    return run


def theirs(store: PriceStore, firms: list[str], folder: Path) -> Callable[[], object]:
    """eventstudy's market model on our returns (imported once, as its users do)."""
    import eventstudy

    spec = StudySpec.create(
        tickers=firms, date=DEEPSEEK_DAY, estimation=ESTIMATION, windows=WINDOWS, placebo=0
    )
    tickers, start, end = data_requirements(spec)
    prices = store.panel(tickers, start, end)
    path = folder / "returns.csv"
    (prices / prices.shift(1) - 1).iloc[1:].rename_axis("date").reset_index().to_csv(
        path, index=False, date_format="%Y-%m-%d"
    )
    eventstudy.Single.import_returns(str(path))
    listed = [
        {
            "event_date": np.datetime64(DEEPSEEK_DAY.date()),
            "security_ticker": firm,
            "market_ticker": BENCHMARK,
        }
        for firm in firms
    ]

    def run() -> object:
        return [
            eventstudy.Multiple.from_list(
                listed,
                eventstudy.Single.market_model,
                event_window=(a, b),
                estimation_size=ESTIMATION[1] - ESTIMATION[0] + 1,
                buffer_size=a - ESTIMATION[1] - 1,
            )
            for a, b in WINDOWS
        ]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    store = build_store(args.store)
    every = complete_firms(store)
    rng = np.random.default_rng(args.seed)
    firms = sorted(rng.choice(every, size=min(args.firms, len(every)), replace=False).tolist())
    print(load())
    with tempfile.TemporaryDirectory(prefix="aftershock-warm-") as tmp:
        peer = theirs(store, firms, Path(tmp))
        run = ours(store, firms)
        run()  # warm: the store's files decoded, the calendar loaded
        mine, its = [], []
        for _ in range(args.repeats):  # interleaved, so both see the same load
            mine += timed(run, 1)
            its += timed(peer, 1)
    print(f"{len(firms):,} firms, windows -1:1 and -5:5, every test but the placebo")
    print(f"  aftershock (warm store)   {spread(mine)}")
    print(f"  eventstudy (in memory)    {spread(its)}")
    print(f"  eventstudy / aftershock = {min(its) / min(mine):.1f}x (best against best)")
    everyone = ours(store, every)
    everyone()
    print(
        f"all {len(every):,} complete firms: {spread(timed(everyone, max(3, args.repeats // 2)))}"
    )
    print(load())


if __name__ == "__main__":
    main()
