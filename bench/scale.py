"""Benchmark of the study at scale: firm-events per second and peak memory of the in-memory
engine, the out-of-core engine (serial and in a process pool) and a Dask LocalCluster.

Run ``python bench/scale.py [--store DIR] [--events N] [--compare N] [--cluster-events N]``
from the repository root (the store is bench/study.py's, imported from the US pack on first
use). Random distinct firm-events (a uniform ticker, then a uniform session of its stored range
in 2019-2026, seeded), market model, estimation -250:-11, windows 0:0, -1:1 and -5:5, every test
but the placebo.

a. ``--compare`` firm-events (100,000): ``run_study`` in memory, then ``run_study_chunked``
   one chunk after the other; the largest relative difference of every test statistic,
   p-value, CAAR and per-firm CAR between the two.
b. ``--events`` firm-events (1,000,000) out of core, in a process pool of one worker per core.
   Targets: < 120 s on 2 cores, peak resident memory < 4 GiB.
c. ``--cluster-events`` firm-events (200,000) on a Dask LocalCluster of 1, then 2 workers.

Each measurement runs in a fresh interpreter; peak memory is ``ru_maxrss`` of that process
(the client) and of its largest child (one worker), so the whole is at most client + workers x
largest worker. Figures depend on the load average, printed with them.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from study import DEFAULT_STORE, SEED, build_store, load, random_events, spec_for  # noqa: E402

from analytics.data.store import PriceStore  # noqa: E402
from analytics.study.engine import run_study  # noqa: E402
from analytics.study.engine.chunked import CHUNK_SIZE, run_study_chunked  # noqa: E402

GIB = 2**30
CORES = 2


def _peaks() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / GIB
    return {"client_gib": own, "worker_gib": child}


def _spec(inputs: Path) -> Any:
    return spec_for(events=pd.read_parquet(inputs / "events.parquet"))


def worker(kind: str, store_root: Path, inputs: Path, out: Path, workers: int) -> dict[str, Any]:
    store = PriceStore(store_root)
    began = time.perf_counter()
    spec = _spec(inputs)
    _ = spec.events
    created = time.perf_counter() - began
    began = time.perf_counter()
    if kind == "memory":
        result = run_study(spec, store)
        tests, aggregate = result.tests, result.aggregate
        windows = result.windows[["event_id", "window", "car"]]
    elif kind == "chunked":
        result = run_study_chunked(spec, store, out)
        tests, aggregate = result.tests, result.aggregate
        windows = None
    elif kind == "pool":
        with ProcessPoolExecutor(workers) as pool:
            result = run_study_chunked(spec, store, out, mapper=pool.map)
        tests, aggregate, windows = result.tests, result.aggregate, None
    else:
        from dask.distributed import Client, LocalCluster

        from app.cluster import dask_mapper

        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            began = time.perf_counter()  # the cluster's start-up is not the study's
            result = run_study_chunked(spec, store, out, mapper=dask_mapper(client))
            seconds = time.perf_counter() - began
            peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        answer = {"seconds": seconds, "spec_seconds": created, "events": len(spec.firm_events)}
        answer["worker_gib"] = max(peaks.values()) * 1024 / GIB
        answer["client_gib"] = _peaks()["client_gib"]
        result.tests.to_parquet(out.parent / f"{kind}-{workers}-tests.parquet")
        return answer
    seconds = time.perf_counter() - began
    tests.to_parquet(out.parent / f"{kind}-tests.parquet")
    aggregate.to_parquet(out.parent / f"{kind}-aggregate.parquet")
    if windows is not None:
        windows.to_parquet(out.parent / f"{kind}-windows.parquet")
    return {"seconds": seconds, "spec_seconds": created, "events": len(spec.firm_events),
            **_peaks()}  # fmt: skip


def run(kind: str, store: Path, inputs: Path, out: Path, workers: int = 1) -> dict[str, Any]:
    command = [sys.executable, __file__, "--store", str(store), "--worker", kind]
    command += ["--inputs", str(inputs), "--out", str(out), "--workers", str(workers)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(label: str, answer: dict[str, Any]) -> str:
    rate = answer["events"] / answer["seconds"]
    return (
        f"  {label:<34} {answer['seconds']:7.1f} s  {rate:9,.0f} firm-events/s  peak RSS "
        f"client {answer['client_gib']:.2f} GiB, largest worker {answer['worker_gib']:.2f} GiB "
        f"(spec {answer['spec_seconds']:.1f} s before)"
    )


def largest_difference(tmp: Path, folder: Path) -> dict[str, float]:
    """Largest relative difference in-memory vs out-of-core, per kind of number."""

    def rel(a: np.ndarray, b: np.ndarray) -> float:
        both = np.isfinite(a) & np.isfinite(b)
        assert np.array_equal(np.isfinite(a), np.isfinite(b)), "NaN in one engine only"
        scale = np.maximum(np.abs(b[both]), 1e-300)
        return float(np.max(np.abs(a[both] - b[both]) / scale, initial=0.0))

    t_mem, t_oc = (pd.read_parquet(tmp / f"{k}-tests.parquet") for k in ("memory", "chunked"))
    a_mem, a_oc = (pd.read_parquet(tmp / f"{k}-aggregate.parquet") for k in ("memory", "chunked"))
    w_mem = pd.read_parquet(tmp / "memory-windows.parquet")
    files = [str(f) for f in sorted(folder.glob("windows-*.parquet"))]
    w_oc = pq.read_table(files, columns=["event_id", "window", "car"]).to_pandas()
    merged = w_mem.merge(w_oc, on=["event_id", "window"], suffixes=("_m", "_o"))
    assert len(merged) == len(w_mem) == len(w_oc)
    return {
        "test stat": rel(t_oc["stat"].to_numpy(), t_mem["stat"].to_numpy()),
        "test p": rel(t_oc["p"].to_numpy(), t_mem["p"].to_numpy()),
        "CAAR": rel(a_oc["caar"].to_numpy(), a_mem["caar"].to_numpy()),
        "per-firm CAR": rel(merged["car_o"].to_numpy(float), merged["car_m"].to_numpy(float)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--compare", type=int, default=100_000)
    parser.add_argument("--cluster-events", type=int, default=200_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.worker:
        print(json.dumps(worker(args.worker, args.store, args.inputs, args.out, args.workers)))
        return
    store = build_store(args.store)
    print(load())
    print(f"chunks of {CHUNK_SIZE:,} firm-events; market model, windows 0:0, -1:1, -5:5")
    with tempfile.TemporaryDirectory(prefix="aftershock-scale-") as name:
        tmp = Path(name)
        events = random_events(store, max(args.events, args.compare, args.cluster_events), SEED)
        for label, n in (("compare", args.compare), ("events", args.events),
                         ("cluster", args.cluster_events)):  # fmt: skip
            folder = tmp / label
            folder.mkdir()
            events.iloc[:n].to_parquet(folder / "events.parquet")

        print(f"\na. {args.compare:,} firm-events: in memory against out of core")
        inputs = tmp / "compare"
        print(line("in memory (run_study)", run("memory", args.store, inputs, inputs / "m")))
        out = inputs / "results"
        print(line("out of core, serial", run("chunked", args.store, inputs, out)))
        for kind, diff in largest_difference(inputs, out).items():
            print(f"    largest relative difference, {kind:<13} {diff:.1e}")

        print(f"\nb. {args.events:,} firm-events out of core, {CORES} processes")
        inputs = tmp / "events"
        print(
            line(f"process pool of {CORES}", run("pool", args.store, inputs, inputs / "r", CORES))
        )
        print(f"   {load()}")

        print(f"\nc. {args.cluster_events:,} firm-events on a Dask LocalCluster")
        inputs = tmp / "cluster"
        for workers in (1, 2):
            answer = run("dask", args.store, inputs, inputs / f"r{workers}", workers)
            print(line(f"LocalCluster, {workers} worker(s)", answer))
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
