"""Benchmark of the event-study engine on the full US pack, and a comparison with ``eventstudy``.

Run ``python bench/study.py [--store DIR] [--skip-eventstudy]`` from the repository root. The
first run imports ``../shared/market-data/us-equities-daily.parquet`` into ``bench/out/store``
(``split_pack`` then ``PriceStore.upsert``); later runs reuse it.

a. The DeepSeek day (2025-01-27, before the open) for every US ticker with at least
   ``min_estimation`` prices in its estimation window and a price on day 0 (~8,600 firms):
   market model, windows 0:0, -1:1, -5:5, every test but the placebo. ``run_study`` on the store,
   split into the store's ``panel``/``coverage`` calls and the engine; the engine alone on an
   in-memory panel; peak memory. Targets: < 1 s on 2 cores, < 2 GB.
b. 100,000 distinct firm-events, random tickers and sessions in 2019-2026 (seeded). Target: < 30 s.
c. The same market-model study with the PyPI package ``eventstudy`` on 100 firms of (a) with
   complete prices: its time against ours, and the largest CAR difference, once on our returns
   and once on its own price-to-return conversion.
d. GARCH(1,1) and EGARCH(1,1) market models (``arch``, one fit per firm) on 1,000 firms of the
   US pack with complete estimation windows before the DeepSeek day: serial in one process, then
   in a process pool over chunks (one worker per core). ``--garch-only`` runs this part alone,
   from the pack, without the store.
e. The warm-store comparison of issue 12 (``bench/warm.py``, in its own process): the DeepSeek
   day on 1,000 random complete firms, windows -1:1 and -5:5, every test but the placebo,
   ``StudySpec.create`` + ``run_study`` against ``eventstudy``'s market model, interleaved;
   it prints "eventstudy / aftershock = N×" and the absolute times. Skipped with
   ``--skip-eventstudy``.

Each part runs in a fresh interpreter, so the peak memory (``ru_maxrss`` less the resident size
just before ``run_study``; separately, ``tracemalloc``'s peak, which numpy reports to) is the
study's own. Timings are repeated and reported as best and median with the load average: other
processes may share the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Runnable from a checkout without installing the package.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics.calendar import offset, sessions  # noqa: E402
from analytics.data.memory import MemoryPrices  # noqa: E402
from analytics.data.sources.files import split_pack  # noqa: E402
from analytics.data.store import PriceStore  # noqa: E402
from analytics.study import garch  # noqa: E402
from analytics.study.engine import data_requirements, run_study  # noqa: E402
from analytics.study.spec import StudySpec  # noqa: E402

US_PACK = REPO.parent / "shared/market-data/us-equities-daily.parquet"
DEFAULT_STORE = REPO / "bench/out/store"
DEEPSEEK_DAY = pd.Timestamp("2025-01-27")
BENCHMARK = "SPY"
ESTIMATION = (-250, -11)
WINDOWS = ((0, 0), (-1, 1), (-5, 5))
MIN_ESTIMATION = 120
N_RANDOM = 100_000
N_COMPARE = 100
SEED = 20250127
GIB = 2**30


class TimedStore:
    """A store whose reads add up their seconds."""

    def __init__(self, store: PriceStore) -> None:
        self.store = store
        self.seconds = 0.0

    def panel(self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        began = time.perf_counter()
        try:
            return self.store.panel(tickers, start, end)
        finally:
            self.seconds += time.perf_counter() - began

    def coverage(self, tickers: Sequence[str]) -> pd.DataFrame:
        began = time.perf_counter()
        try:
            return self.store.coverage(tickers)
        finally:
            self.seconds += time.perf_counter() - began


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def resident() -> float:
    """Current resident set size in bytes."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_resident() -> float:
    """Peak resident set size of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0


def spread(seconds: Sequence[float]) -> str:
    return f"best {min(seconds):6.3f} s, median {statistics.median(seconds):6.3f} s"


def build_store(root: Path) -> PriceStore:
    """The benchmark store, imported from the US pack on first use."""
    store = PriceStore(root)
    if store.files():
        return store
    print(f"importing {US_PACK} into {root} (first run only)")
    began = time.perf_counter()
    valid, invalid = split_pack(US_PACK)
    written = store.upsert(valid, origin=str(US_PACK))
    print(
        f"  {written:,} rows written, {len(invalid):,} invalid rows skipped "
        f"in {time.perf_counter() - began:.1f} s"
    )
    return store


def deepseek_tickers(store: PriceStore) -> list[str]:
    """Tickers with at least ``MIN_ESTIMATION`` prices in the DeepSeek day's estimation window and
    a price on day 0 (ETFs included, the benchmark left out)."""
    coverage = store.coverage(
        start=offset(DEEPSEEK_DAY, ESTIMATION[0] - 1), end=offset(DEEPSEEK_DAY, ESTIMATION[1])
    )
    at_day0 = set(store.coverage(start=DEEPSEEK_DAY, end=DEEPSEEK_DAY)["ticker"])
    enough = coverage.loc[coverage["rows"] > MIN_ESTIMATION, "ticker"]
    return sorted(t for t in enough if t in at_day0 and t != BENCHMARK)


def random_events(store: PriceStore, n: int, seed: int) -> pd.DataFrame:
    """``n`` distinct (ticker, date) firm-events: a uniform ticker among the stored ones, then a
    uniform session in 2019-2026 within that ticker's stored range."""
    rng = np.random.default_rng(seed)
    coverage = store.coverage()
    coverage = coverage[coverage["ticker"] != BENCHMARK]
    days = sessions("2019-01-02", offset(pd.Timestamp("2026-07-31"), -WINDOWS[-1][1])).values
    lo = np.searchsorted(days, coverage["first"].to_numpy())
    hi = np.searchsorted(days, coverage["last"].to_numpy(), side="right")
    usable = hi > lo
    tickers = coverage["ticker"].to_numpy()[usable]
    lo, hi = lo[usable], hi[usable]
    picks = rng.integers(0, len(tickers), size=2 * n)
    rows = lo[picks] + (rng.random(2 * n) * (hi[picks] - lo[picks])).astype(np.int64)
    events = pd.DataFrame({"ticker": tickers[picks], "date": days[rows]})
    return events.drop_duplicates(ignore_index=True).iloc[:n]


def spec_for(tickers: list[str] | None = None, events: pd.DataFrame | None = None) -> StudySpec:
    common: dict[str, Any] = {
        "benchmark": BENCHMARK,
        "model": "market",
        "estimation": ESTIMATION,
        "windows": WINDOWS,
        "min_estimation": MIN_ESTIMATION,
        "placebo": 0,
    }
    if events is not None:
        return StudySpec.create(events=events, **common)
    return StudySpec.create(tickers=tickers, date=DEEPSEEK_DAY, **common)


def measure(spec: StudySpec, store: PriceStore, repeats: int, trace: bool) -> dict[str, Any]:
    """Time ``run_study`` on the store (first call first, for an honest memory peak)."""
    before = resident()
    if trace:
        tracemalloc.start()
    timed = TimedStore(store)
    began = time.perf_counter()
    result = run_study(spec, timed)
    totals, reads = [time.perf_counter() - began], [timed.seconds]
    answer: dict[str, Any] = {"peak_rss_gib": (peak_resident() - before) / GIB}
    if trace:
        answer["tracemalloc_gib"] = tracemalloc.get_traced_memory()[1] / GIB
        tracemalloc.stop()
        return answer
    for _ in range(repeats - 1):
        timed = TimedStore(store)
        began = time.perf_counter()
        run_study(spec, timed)
        totals.append(time.perf_counter() - began)
        reads.append(timed.seconds)
    included = np.asarray(result.included).sum(axis=1)
    return {
        **answer,
        "firm_events": len(spec.firm_events),
        "included": dict(zip(spec.window_keys, included.tolist(), strict=True)),
        "caar": result.aggregate.set_index("window")["caar"].to_dict(),
        "total": totals,
        "store": reads,
        "engine_on_store": [t - r for t, r in zip(totals, reads, strict=True)],
    }


def engine_only(spec: StudySpec, store: PriceStore, repeats: int) -> list[float]:
    """``run_study`` on an in-memory copy of the panel it reads."""
    tickers, start, end = data_requirements(spec)
    memory = MemoryPrices(store.panel(tickers, start, end))
    seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        run_study(spec, memory)
        seconds.append(time.perf_counter() - began)
    return seconds


def worker_deepseek(store: PriceStore, inputs: Path, repeats: int, trace: bool) -> dict[str, Any]:
    spec = spec_for(json.loads((inputs / "deepseek.json").read_text()))
    answer = measure(spec, store, repeats, trace)
    if not trace:
        answer["engine"] = engine_only(spec, store, repeats)
    return answer


def worker_random(store: PriceStore, inputs: Path, repeats: int, trace: bool) -> dict[str, Any]:
    events = pd.read_csv(inputs / "random.csv")
    began = time.perf_counter()
    spec = spec_for(events=events)
    create = time.perf_counter() - began
    answer = measure(spec, store, repeats, trace)
    began = time.perf_counter()
    _ = spec.events
    return {**answer, "spec_create": create, "spec_events": time.perf_counter() - began}


def worker_compare(store: PriceStore, inputs: Path, repeats: int, trace: bool) -> dict[str, Any]:
    """Our market model against ``eventstudy``'s on the same firms, sessions and windows.

    ``eventstudy`` counts rows of its returns file (here: one row per XNYS session) and places an
    estimation window of ``estimation_size`` rows ending ``buffer_size`` rows before the event
    window: ``estimation_size=240, buffer_size=a+10`` reproduces our ``[-250, -11]`` for a window
    starting at day ``a``.
    """
    import eventstudy

    firms = json.loads((inputs / "compare.json").read_text())
    spec = spec_for(firms)
    tickers, start, end = data_requirements(spec)
    prices = store.panel(tickers, start, end)
    memory = MemoryPrices(prices)
    ours_seconds = []
    for _ in range(repeats):
        began = time.perf_counter()
        result = run_study(spec, memory)
        ours_seconds.append(time.perf_counter() - began)
    windows = result.windows
    ours_car = windows.pivot_table(index="ticker", columns="window", values="car")
    ours_t = windows.pivot_table(index="ticker", columns="window", values="t")
    files = {
        "our returns": (prices / prices.shift(1) - 1).iloc[1:],
        "its prices, simple": prices,
        "its prices, default (log)": prices,
    }
    options: dict[str, dict[str, bool]] = {
        "our returns": {},
        "its prices, simple": {"is_price": True, "log_return": False},
        "its prices, default (log)": {"is_price": True},
    }
    answer: dict[str, Any] = {"ours": ours_seconds, "firms": len(firms), "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for label, frame in files.items():
            path = Path(tmp) / "returns.csv"
            frame.rename_axis("date").reset_index().to_csv(
                path, index=False, date_format="%Y-%m-%d"
            )
            eventstudy.Single.import_returns(str(path), **options[label])
            seconds, cars, stats = [], {}, {}
            for _ in range(repeats):
                began = time.perf_counter()
                for a, b in WINDOWS:
                    key = f"{a}:{b}"
                    sample = eventstudy.Multiple.from_list(
                        [
                            {
                                "event_date": np.datetime64(DEEPSEEK_DAY.date()),
                                "security_ticker": firm,
                                "market_ticker": BENCHMARK,
                            }
                            for firm in firms
                        ],
                        eventstudy.Single.market_model,
                        event_window=(a, b),
                        estimation_size=ESTIMATION[1] - ESTIMATION[0] + 1,
                        buffer_size=a - ESTIMATION[1] - 1,
                    ).sample
                    cars[key] = pd.Series([s.CAR[-1] for s in sample], index=firms)
                    stats[key] = pd.Series([s.tstat[-1] for s in sample], index=firms)
                seconds.append(time.perf_counter() - began)
            keys = list(cars)
            gap = np.abs(pd.DataFrame(cars).to_numpy() - ours_car[keys].to_numpy())
            row, col = np.unravel_index(np.nanargmax(gap), gap.shape)
            ratio = pd.DataFrame(stats).to_numpy() / ours_t[keys].to_numpy()
            answer["variants"][label] = {
                "seconds": seconds,
                "max_car_diff": float(gap[row, col]),
                "worst": f"{firms[row]} {keys[col]}",
                "t_ratio_median": float(np.nanmedian(ratio)),
            }
    return answer


WORKERS: dict[str, Callable[[PriceStore, Path, int, bool], dict[str, Any]]] = {
    "compare": worker_compare,
    "deepseek": worker_deepseek,
    "random": worker_random,
}


def run_worker(name: str, store: Path, inputs: Path, repeats: int, *, trace: bool = False) -> Any:
    """Run a worker in a fresh interpreter and return its JSON answer."""
    command = [sys.executable, __file__, "--store", str(store), "--worker", name]
    command += ["--inputs", str(inputs), "--repeats", str(repeats)]
    done = subprocess.run(
        [*command, *(["--trace"] if trace else [])], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report_study(title: str, timed: dict[str, Any], traced: dict[str, Any]) -> None:
    print(
        f"\n{title}: {timed['firm_events']:,} firm-events, included per window {timed['included']}"
    )
    print(f"  run_study on the store   {spread(timed['total'])}")
    print(f"    store panel+coverage   {spread(timed['store'])}")
    print(f"    engine                 {spread(timed['engine_on_store'])}")
    if "engine" in timed:
        print(f"  engine, in-memory panel  {spread(timed['engine'])}")
    print(
        f"  memory: peak RSS +{timed['peak_rss_gib']:.2f} GiB; "
        f"tracemalloc peak {traced['tracemalloc_gib']:.2f} GiB"
    )


N_GARCH = 1000


def garch_bench(repeats: int) -> None:
    """Part d: time the GARCH and EGARCH fits of N_GARCH firms, serial and in parallel."""
    import pyarrow.dataset as ds

    first = offset(DEEPSEEK_DAY, ESTIMATION[0] - 1)
    last = offset(DEEPSEEK_DAY, 5)
    table = ds.dataset(US_PACK).to_table(
        filter=(ds.field("date") >= first.date()) & (ds.field("date") <= last.date()),
        columns=["ticker", "date", "adj_close"],
    )
    wide = table.to_pandas().pivot(index="date", columns="ticker", values="adj_close")
    wide = wide.set_axis(pd.DatetimeIndex(wide.index), axis=0).reindex(sessions(first, last))
    returns = wide.pct_change(fill_method=None).iloc[1:]
    est_rows = ESTIMATION[1] - ESTIMATION[0] + 1
    est = returns.iloc[:est_rows]
    complete = [t for t in est.columns[est.notna().all().to_numpy()] if t != BENCHMARK]
    firms = sorted(np.random.default_rng(SEED).choice(complete, N_GARCH, replace=False))
    y = est[firms].to_numpy()
    m = np.repeat(est[[BENCHMARK]].to_numpy(), N_GARCH, axis=1)
    m_evt = np.repeat(returns[[BENCHMARK]].iloc[est_rows + 10 :].to_numpy(), N_GARCH, axis=1)
    days = np.arange(len(m_evt)) + 11
    cores = garch.workers()
    print(f"\nd. GARCH market models on {N_GARCH:,} firms, {est_rows} estimation returns each")
    print(
        f"  one arch fit per firm; in parallel: {cores * 4} chunks over a ProcessPoolExecutor of "
        f"{cores} workers (fork when single-threaded, else spawn; from "
        f"{garch.PARALLEL_FROM} firm-events on)"
    )
    for vol in ("garch", "egarch"):
        for label, n_workers in (("serial (1 process)", 1), (f"pool of {cores} processes", cores)):
            seconds = []
            for _ in range(repeats):
                start = time.perf_counter()
                fit = garch.garch(
                    y, m, m_evt, days, vol=vol, min_n=MIN_ESTIMATION, n_workers=n_workers
                )
                seconds.append(time.perf_counter() - start)
            failed = 0 if fit.failed is None else int(fit.failed.sum())
            print(f"  {vol:<6} {label:<22} {spread(seconds)}; {failed} did not converge")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE, help="benchmark store dir")
    parser.add_argument("--skip-eventstudy", action="store_true", help="skip part c")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions of part a")
    parser.add_argument("--garch-only", action="store_true", help="run part d only")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.worker:
        worker = WORKERS[args.worker]
        print(json.dumps(worker(PriceStore(args.store), args.inputs, args.repeats, args.trace)))
        return
    if args.garch_only:
        print(load())
        garch_bench(max(1, min(2, args.repeats)))
        print(f"\n{load()}")
        return
    store = build_store(args.store)
    print(load())
    with tempfile.TemporaryDirectory(prefix="aftershock-bench-") as tmp:
        inputs = Path(tmp)
        tickers = deepseek_tickers(store)
        (inputs / "deepseek.json").write_text(json.dumps(tickers))
        random_events(store, N_RANDOM, SEED).to_csv(inputs / "random.csv", index=False)

        a = run_worker("deepseek", args.store, inputs, args.repeats)
        report_study(
            "a. DeepSeek day",
            a,
            run_worker("deepseek", args.store, inputs, 1, trace=True),
        )
        print(f"  CAAR {', '.join(f'{k} {v:+.4%}' for k, v in a['caar'].items())}")

        b = run_worker("random", args.store, inputs, max(1, min(3, args.repeats)))
        report_study(
            "b. random firm-events", b, run_worker("random", args.store, inputs, 1, trace=True)
        )
        print(f"  StudySpec.create {b['spec_create']:.2f} s; spec.events {b['spec_events']:.2f} s")

        if not args.skip_eventstudy:
            pool = store.panel(tickers, *data_requirements(spec_for(tickers))[1:]).dropna(axis=1)
            rng = np.random.default_rng(SEED)
            firms = sorted(rng.choice(pool.columns, N_COMPARE, replace=False))
            (inputs / "compare.json").write_text(json.dumps([str(f) for f in firms]))
            c = run_worker("compare", args.store, inputs, args.repeats)
            print(f"\nc. eventstudy on {c['firms']} firms with complete prices, 3 windows")
            print(f"  ours (run_study, in-memory panel)  {spread(c['ours'])}")
            for label, v in c["variants"].items():
                print(
                    f"  eventstudy, {label:<26} {spread(v['seconds'])}, "
                    f"{min(v['seconds']) / min(c['ours']):.1f}x ours; max |CAR diff| "
                    f"{v['max_car_diff']:.2e} ({v['worst']}); median t ratio theirs/ours "
                    f"{v['t_ratio_median']:.2f}"
                )
    garch_bench(max(1, min(2, args.repeats)))
    if not args.skip_eventstudy:
        print("\ne. warm store against eventstudy (bench/warm.py)")
        warm = [sys.executable, str(REPO / "bench" / "warm.py"), "--store", str(args.store)]
        out = subprocess.run(warm, capture_output=True, text=True, check=True).stdout
        print("\n".join(f"  {line}" for line in out.splitlines()))
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
