"""The out-of-core study on a 2-worker Dask LocalCluster: the in-memory numbers, and a worker
killed in the middle of a chunk costs a retry, never a chunk lost or counted twice."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.data.memory import MemoryPrices
from analytics.errors import DataError, SpecError
from analytics.study.engine import run_study
from analytics.study.engine.chunked import run_study_chunked
from analytics.study.spec import StudySpec
from app.cluster import cluster_mapper, dask_mapper

distributed = pytest.importorskip("dask.distributed")
cloudpickle.register_pickle_by_value(__import__(__name__))

TICKERS = ["NVDA", "AMD", "AVGO", "MSFT", "GOOGL", "META", "ORCL", "TSM", "MU", "INTC", "VST"]


@pytest.fixture(scope="module")
def prices(shared_dir: Path) -> MemoryPrices:
    return MemoryPrices.from_long(
        pd.read_parquet(shared_dir / "market-data/deepseek-universe.parquet")
    )


@pytest.fixture(scope="module")
def spec() -> StudySpec:
    rng = np.random.default_rng(12)
    days = sessions("2023-06-01", "2026-06-30")
    events = pd.DataFrame(
        {"ticker": rng.choice(TICKERS, 900), "date": days[rng.integers(0, len(days), 900)]}
    ).drop_duplicates(ignore_index=True)
    return StudySpec.create(events=events, windows=[(0, 0), (-2, 2)], placebo=0)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=1e-14)


def test_two_workers_give_the_in_memory_numbers(spec, prices, client, tmp_path) -> None:
    want = run_study(spec, prices)
    got = run_study_chunked(spec, prices, tmp_path, chunk_size=200, mapper=dask_mapper(client))
    _same(got.tests, want.tests)
    _same(got.aggregate, want.aggregate)
    _same(got.windows, want.windows)
    workers = client.run(os.getpid)
    assert len(workers) == 2


def _dies_once(marker: Path, function: Callable[..., Any], job: Any) -> Any:
    """Run ``function(job)``, except that the first worker to run chunk 2 dies in it."""
    if job[0] == 2:
        try:
            marker.touch(exist_ok=False)
        except FileExistsError:
            pass
        else:
            os._exit(1)  # the worker process is gone, mid-chunk
    return function(job)


def test_a_killed_worker_is_retried_without_loss_or_duplication(
    spec, prices, client, tmp_path
) -> None:
    marker = tmp_path / "died"
    mapper = dask_mapper(client)

    def flaky(function: Callable[..., Any], items: list[Any]) -> list[Any]:
        wrapped = [(marker, function, item) for item in items]
        return mapper(_run_flaky, wrapped)

    got = run_study_chunked(spec, prices, tmp_path / "out", chunk_size=150, mapper=flaky)
    assert marker.exists()  # a worker did die
    want = run_study(spec, prices)
    _same(got.tests, want.tests)
    windows = got.windows
    assert len(windows) == len(want.windows) == got.rows
    assert not windows.duplicated(["event_id", "window"]).any()
    _same(windows, want.windows)


def _run_flaky(task: tuple[Path, Callable[..., Any], Any]) -> Any:
    marker, function, job = task
    # Only the chunk pass (jobs are (index, positions, spec)) is made to die.
    if isinstance(job, tuple) and len(job) == 3 and isinstance(job[1], np.ndarray):
        return _dies_once(marker, function, job)
    return function(job)


def test_cluster_addresses() -> None:
    with cluster_mapper(None) as mapper:
        assert mapper is map
    with pytest.raises(SpecError, match="local, local:N"), cluster_mapper("hpc://x"):
        pass
    with pytest.raises(SpecError, match="no worker"), cluster_mapper("local:0"):
        pass
    with pytest.raises(DataError, match="dask scheduler"), cluster_mapper("tcp://127.0.0.1:1"):
        pass
