"""The out-of-core engine: any number of firm-events in bounded memory, with the numbers of the
in-memory engine.

:func:`run_study_chunked` sorts the firm-events by day 0 and cuts them into chunks (one panel
read each, spanning only the chunk's dates). Each chunk runs the firm stage of the in-memory
engine (:func:`~analytics.study.engine.stage.firm_stage`), writes its per-firm tables to Parquet
and its estimation residuals to a spill file, and returns small additive summaries. Two passes
give every statistic exactly:

1. per chunk: per-firm values (CAR, SCAR, BHAR, dof, sigma, share of positive residuals) and
   per-day sums (:class:`~analytics.study.significance.window.WindowSums`: the portfolio t's
   daily AR sums, Corrado's rank sums and Corrado-Zivney's sign sums, each firm ranking its own
   values; GRANK-T's estimation ranks), AAR sums and the spread of cumulative ARs (Chan's
   pairwise update), dollar totals, abnormal-volatility sums and calendar-time portfolio sums;
2. once the cross-section is known: GRANK-T's window ranks need the spread of all SCARs, and
   Kolari-Pynnönen's ``r`` the pattern plan of all firms' valid days, so each chunk's spilled
   residuals are read again, once for every window: the group sums of all its firms
   (:func:`~analytics.study.significance.correlation.grouped_sums`) less those of the few a
   window leaves out, and the one-by-one firms' pairs per window
   (:func:`~analytics.study.significance.correlation.single_grouped_pairs`), added over
   chunks in :data:`SECOND_PASS_BATCHES` batches.

The per-firm values kept in memory are a few floats per firm-event and window (1,000,000
firm-events: some 100 MB), so the Wilcoxon test, the sign test's count and the wild bootstrap
run on the whole cross-section, in the original event order (the bootstrap's draws are tied to
positions). Chunks are pure functions of their inputs and write their files atomically under
fixed names, so a chunk run twice (a retried Dask task) leaves the same files.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.data import decoded
from analytics.errors import InsufficientDataError, SpecError
from analytics.study.calendar_time import CalendarTime, portfolio_alpha
from analytics.study.engine.chunk import (
    ChunkPart,
    Cumulative,
    PassSums,
    second_pass,
    spilled_residuals,
    study_chunk,
)
from analytics.study.engine.inputs import PriceProvider
from analytics.study.result import TEST_NAMES
from analytics.study.significance import TestResult
from analytics.study.significance.correlation import (
    CorrelationPlan,
    centred_residuals,
    correlation_from_sums,
    correlation_plan,
    single_pairs,
)
from analytics.study.significance.nonparametric import (
    rank_spread,
)
from analytics.study.significance.window import (
    WindowSums,
    combine_sums,
    window_tests_from_sums,
)
from analytics.study.spec import StudySpec
from analytics.study.volatility import AbnormalVolatility, volatility_from_sums

__all__ = ["CHUNK_SIZE", "ChunkedResult", "Mapper", "plan_chunks", "run_study_chunked"]

logger = logging.getLogger(__name__)

CHUNK_SIZE = 5_000
"""Firm-events per chunk: some 0.15 GiB of working memory on a 240-day estimation window;
1,000,000 US firm-events ran faster than in chunks of 10,000 (one panel read per chunk is cheap
on a warm store)."""

CHUNK_CACHE_BYTES = 64 * 2**20
"""Decoded price files a process keeps between chunks (two years of the US pack, what the next
chunk's estimation windows read): chunks run in date order, so older years are not read
again."""

Mapper = Callable[[Callable[..., Any], Iterable[Any]], Iterable[Any]]
"""Runs a function over a list of arguments and yields the results in order: the builtin
``map`` (serial), a process pool's ``map`` or a Dask client's (:mod:`app.cluster`)."""


_NONE = np.zeros(0)


def _firm_values(sums: WindowSums) -> WindowSums:
    """``sums`` without its per-day sums (empty arrays in their place)."""
    empty = (_NONE, _NONE)
    return replace(sums, estimation=empty, window=empty, ranks=empty, signs=empty,
                   rank_sums=_NONE)  # fmt: skip


def _day_sums(sums: WindowSums) -> WindowSums:
    """``sums`` without its per-firm values (empty arrays in their place)."""
    bhar = None if sums.bhar is None else _NONE
    return replace(sums, car=_NONE, scar=_NONE, dof=_NONE, bhar=bhar, sigma=_NONE, shares=_NONE)


@dataclass(eq=False)
class _Fold:
    """The chunks' summaries, added up as they arrive in chunk order (so every float sum is
    the one of a serial run): the client keeps the per-firm values and the running per-day
    sums, never a chunk's per-day sums (the rank sums alone are ~1 MB per window)."""

    parts: list[ChunkPart] = field(default_factory=list)  # with per-firm values only
    days: dict[int, WindowSums] = field(default_factory=dict)
    aar: dict[int, tuple[np.ndarray, Cumulative]] = field(default_factory=dict)

    def add(self, part: ChunkPart) -> None:
        if part.index != len(self.parts):
            raise RuntimeError(f"chunk {part.index} arrived as chunk {len(self.parts)}")
        for j, sums in part.sums.items():
            day = _day_sums(sums)
            self.days[j] = day if j not in self.days else combine_sums([self.days[j], day])
        for j, (total, spread) in part.aar.items():
            before = self.aar.get(j)
            self.aar[j] = (total, spread) if before is None else (before[0] + total,
                                                                   before[1] + spread)  # fmt: skip
        slim = {j: _firm_values(sums) for j, sums in part.sums.items()}
        self.parts.append(replace(part, sums=slim, aar={}))

    def window(self, j: int) -> WindowSums:
        """Window ``j``'s sums over every chunk, per-firm values in chunk order."""
        mine = [p.sums[j] for p in self.parts if j in p.sums]
        total = self.days[j]
        bhars = [m.bhar for m in mine if m.bhar is not None]
        return replace(
            total,
            car=np.concatenate([m.car for m in mine]),
            scar=np.concatenate([m.scar for m in mine]),
            dof=np.concatenate([m.dof for m in mine]),
            bhar=None if total.bhar is None else np.concatenate(bhars),
            sigma=np.concatenate([m.sigma for m in mine]),
            shares=np.concatenate([m.shares for m in mine]),
        )


@dataclass(frozen=True, eq=False)
class ChunkedResult:
    """What :func:`run_study_chunked` found: the aggregate tables in memory (as
    :class:`~analytics.study.result.StudyResult` names them), the per-firm tables on disk.

    Attributes
    ----------
    spec
        The study's specification.
    folder
        Where ``firms-*.parquet``, ``windows-*.parquet`` and ``excluded-*.parquet`` are.
    test_results, calendar_time, volatility
        As :class:`~analytics.study.result.StudyResult` has them.
    n_included
        ``(n_win,)`` firm-events each window's tests ran on.
    chunks, rows
        How many chunks ran, and the rows of the ``windows`` tables they wrote.
    """

    spec: StudySpec
    folder: Path
    test_results: dict[str, dict[str, TestResult]]
    calendar_time: dict[str, CalendarTime]
    volatility: dict[str, AbnormalVolatility]
    n_included: np.ndarray
    aggregate: pd.DataFrame
    aar: pd.DataFrame
    chunks: int
    rows: int

    @cached_property
    def tests(self) -> pd.DataFrame:
        """Per window and test: ``window, test, stat, p, n``."""
        rows = [
            (key, name, self.test_results.get(key, {}).get(name))
            for key in self.spec.window_keys
            for name in TEST_NAMES
        ]
        frame = pd.DataFrame(
            {
                "window": [r[0] for r in rows],
                "test": [r[1] for r in rows],
                "stat": [np.nan if r[2] is None else r[2].stat for r in rows],
                "p": [np.nan if r[2] is None else r[2].pvalue for r in rows],
            }
        )
        n = dict(zip(self.spec.window_keys, self.n_included, strict=True))
        frame["n"] = frame["window"].map(n)
        return frame.astype(
            {"window": "string", "test": "string", "stat": "float64", "p": "float64", "n": "int64"}
        )

    def _read(self, kind: str) -> pd.DataFrame:
        files = sorted(self.folder.glob(f"{kind}-*.parquet"))
        return pq.read_table(files).to_pandas() if files else pd.DataFrame()

    @property
    def firms(self) -> pd.DataFrame:
        """One row per firm-event, as :attr:`StudyResult.firms`, in event order."""
        return self._read("firms").sort_values("event_id", kind="stable", ignore_index=True)

    @property
    def windows(self) -> pd.DataFrame:
        """Per firm-event and window, as :attr:`StudyResult.windows`."""
        frame = self._read("windows")
        order = pd.Categorical(frame["window"], categories=list(self.spec.window_keys))
        frame = frame.assign(_w=order.codes)
        return frame.sort_values(["_w", "event_id"], kind="stable", ignore_index=True).drop(
            columns="_w"
        )

    @property
    def excluded(self) -> pd.DataFrame:
        """Every exclusion, as :attr:`StudyResult.excluded` (without the spec's dropped inputs)."""
        return self._read("excluded")

    def __repr__(self) -> str:
        return (
            f"ChunkedResult({len(self.spec.firm_events):,} firm-events in {self.chunks} chunks, "
            f"{self.spec.model} model, tables in {self.folder})"
        )


def plan_chunks(spec: StudySpec, chunk_size: int) -> list[np.ndarray]:
    """Positions of the firm-events of each chunk: sorted by day 0, ``chunk_size`` at most."""
    if chunk_size < 1:
        raise SpecError(f"chunk_size: {chunk_size} must be a positive number of firm-events")
    day0 = spec.events["day0"].to_numpy(dtype="datetime64[ns]")
    order = np.argsort(day0, kind="stable")
    return [order[i : i + chunk_size] for i in range(0, len(order), chunk_size)]


def _check(spec: StudySpec) -> None:
    for name, value, fix in (
        ("placebo", spec.placebo, "placebo=0"),
        ("group_by", spec.group_by, "group_by=None"),
        ("regress", spec.regress, "regress=()"),
    ):
        if value:
            raise SpecError(
                f"{name}: the out-of-core engine runs no {name.replace('_', ' ')}; pass {fix} "
                "or run the study in memory"
            )


def _combine_aar(spec: StudySpec, fold: _Fold, n: np.ndarray) -> pd.DataFrame:
    frames = []
    for j, (a, b) in enumerate(spec.windows):
        days = np.arange(a, b + 1)
        if j in fold.aar:
            total, spread = fold.aar[j]
            aar = total / n[j]
            se = np.sqrt(spread.m2 / (spread.n - 1)) / np.sqrt(n[j]) if n[j] > 1 else np.nan
        else:
            aar, se = np.full(days.size, np.nan), np.nan
        frames.append(
            pd.DataFrame(
                {
                    "window": spec.window_keys[j],
                    "day": days.astype("int64"),
                    "n": int(n[j]),
                    "aar": aar,
                    "caar": np.cumsum(aar),
                    "caar_se": se,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).astype({"window": "string", "n": "int64"})


def _combine_calendar(spec: StudySpec, parts: list[ChunkPart]) -> dict[str, CalendarTime]:
    sessions = np.unique(np.concatenate([p.sessions for p in parts]))
    k = parts[0].regressors.shape[1]
    regressors = np.full((sessions.size, k), np.nan)
    risk_free = None if parts[0].risk_free is None else np.full(sessions.size, np.nan)
    for p in parts:
        # A chunk's first session has no return (no price before it); another chunk may.
        at = np.searchsorted(sessions, p.sessions)
        regressors[at] = np.where(np.isfinite(p.regressors), p.regressors, regressors[at])
        if risk_free is not None and p.risk_free is not None:
            risk_free[at] = np.where(np.isfinite(p.risk_free), p.risk_free, risk_free[at])
    out = {}
    for key in spec.window_keys:
        sums, counts = np.zeros(sessions.size), np.zeros(sessions.size, dtype=np.int64)
        for p in parts:
            if key in p.calendar:
                at = np.searchsorted(sessions, p.sessions)
                sums[at] += p.calendar[key][0]
                counts[at] += p.calendar[key][1]
        if counts.any():
            out[key] = portfolio_alpha(sums, counts, regressors, risk_free)
    return out


def _in_event_order(sums: WindowSums, positions: np.ndarray) -> WindowSums:
    order = np.argsort(positions, kind="stable")
    return replace(
        sums,
        car=sums.car[order],
        scar=sums.scar[order],
        dof=sums.dof[order],
        bhar=None if sums.bhar is None else sums.bhar[order],
        sigma=sums.sigma[order],
        shares=sums.shares[order],
    )


def _correlation_inputs(
    folder: Path, parts: list[ChunkPart], n_days: int
) -> tuple[CorrelationPlan, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The pattern plan of every spilled firm (used in any window), and the centred residuals,
    valid days and windows of its one-by-one firms."""
    plan = correlation_plan(np.concatenate([p.words for p in parts]), n_days)
    bounds = np.cumsum([0, *(p.words.shape[0] for p in parts)])
    single = plan.group_of < 0
    xs, ms = [np.zeros((n_days, 0))], [np.zeros((n_days, 0), dtype=bool)]
    windows = [np.zeros((len(parts[0].included), 0), dtype=bool)]
    for p, a, b in zip(parts, bounds[:-1], bounds[1:], strict=True):
        if single[a:b].any():
            centred, valid = centred_residuals(spilled_residuals(folder, p.index)[:, single[a:b]])
            xs.append(centred)
            ms.append(valid)
            windows.append(p.included[:, p.included.any(axis=0)][:, single[a:b]])
    logger.info(
        "%d patterns grouped, %d firms paired one by one", plan.days.shape[1], int(single.sum())
    )
    singles = (np.concatenate(xs, axis=1), np.concatenate(ms, axis=1))
    return plan, (*singles, np.concatenate(windows, axis=1))


SECOND_PASS_BATCHES = 8
"""Tasks of the second pass: each adds the sums of a run of chunks, so that few (G, G, L)
correlation sums travel back to the client (28 MB each for 121 patterns of 240 days). A fixed
number, so the order of every float sum is the same here, in a pool and on a cluster."""


def _batch_bounds(n: int) -> list[tuple[int, int]]:
    edges = np.linspace(0, n, min(n, SECOND_PASS_BATCHES) + 1).round().astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))


def _added(results: Iterable[tuple[int, PassSums]]) -> dict[int, PassSums]:
    """Per window ``j``, the sums of second-pass results ``(j, sums)``, added in their order."""
    total: dict[int, PassSums] = {}
    for j, (corr, shift) in results:
        if j not in total:
            total[j] = (corr.copy(), shift)  # added to in place: windows may share arrays
            continue
        before_corr, before_shift = total[j]
        before_corr += corr
        total[j] = (
            before_corr,
            shift
            if before_shift is None or shift is None
            else (before_shift[0] + shift[0], before_shift[1] + shift[1]),
        )
    return total


def _second_pass_batch(tasks: list[tuple[Any, ...]]) -> dict[int, PassSums]:
    return _added(chain.from_iterable(second_pass(*task) for task in tasks))


def _all_window_tests(
    spec: StudySpec, folder: Path, fold: _Fold, n: np.ndarray, mapper: Mapper
) -> dict[str, dict[str, TestResult]]:
    """Every window's tests from the chunks' sums and one second pass over their residuals,
    which gives each window's correlation sums and GRANK-T window ranks."""
    parts = fold.parts
    windows = [j for j in range(len(spec.windows)) if n[j]]
    n_days = spec.estimation[1] - spec.estimation[0] + 1
    plan, singles = _correlation_inputs(folder, parts, n_days)
    sums = {j: fold.window(j) for j in windows}
    spreads = {j: rank_spread(sums[j].scar, sums[j].sigma) for j in windows}
    bounds = np.cumsum([0, *(p.words.shape[0] for p in parts)])
    tasks = []
    for p, a, b in zip(parts, bounds[:-1], bounds[1:], strict=True):
        inside = p.included[:, p.included.any(axis=0)]
        levels = {
            j: p.sums[j].scar / spreads[j] * p.sums[j].sigma if spreads[j] > 0 else None
            for j in windows
            if j in p.sums
        }
        if levels:
            tasks.append((folder, p.index, inside, plan.group_of[a:b], plan.days, singles, levels))
    began = time.perf_counter()
    batches = [tasks[a:b] for a, b in _batch_bounds(len(tasks))]
    added = _added(chain.from_iterable(r.items() for r in mapper(_second_pass_batch, batches)))
    logger.info("second pass: %d chunks in %.1f s", len(tasks), time.perf_counter() - began)
    tests = {}
    for j in windows:
        corr, shift = added[j]
        mine = singles[2][j]
        pairs = single_pairs(singles[0][:, mine], singles[1][:, mine])
        rbar = correlation_from_sums(corr, plan.days, pairs)
        positions = np.concatenate([p.positions[p.included[j]] for p in parts if j in p.sums])
        tests[spec.window_keys[j]] = window_tests_from_sums(
            _in_event_order(sums[j], positions), rbar=rbar, rank_shift=shift,
            bootstrap=spec.bootstrap, seed=spec.seed,
        )  # fmt: skip
    return tests


def run_study_chunked(
    spec: StudySpec,
    prices: PriceProvider,
    folder: Path | str,
    *,
    chunk_size: int = CHUNK_SIZE,
    market_caps: pd.DataFrame | None = None,
    factors: pd.DataFrame | None = None,
    mapper: Mapper = map,
    keep_spill: bool = False,
) -> ChunkedResult:
    """Run ``spec`` chunk by chunk with bounded memory; the numbers equal
    :func:`~analytics.study.engine.run_study`'s.

    Parameters
    ----------
    spec
        The study; ``placebo``, ``group_by`` and ``regress`` must be off.
    prices
        The price provider; with a process pool or Dask ``mapper`` it must pickle (the store
        does, as its path, which workers must see).
    folder
        Where the per-firm tables go (created; former tables in it are replaced).
    chunk_size
        Most firm-events per chunk (:data:`CHUNK_SIZE`).
    market_caps, factors
        As :func:`~analytics.study.engine.run_study` takes them.
    mapper
        How chunks run: ``map`` (here, one by one), a process pool's or a Dask client's.
    keep_spill
        Keep the residual spill files (``resid-*.npy``) instead of deleting them at the end.

    Raises
    ------
    SpecError
        A placebo, groups or regressors in ``spec``, or a ``chunk_size`` below 1.
    InsufficientDataError
        When no firm-event is usable in any window.
    """
    _check(spec)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("*-[0-9][0-9][0-9][0-9][0-9].parquet"), *out.glob("resid-*.npy")]:
        old.unlink()
    chunks = plan_chunks(spec, chunk_size)
    # Each task carries its own chunk's spec only, never the whole study's firm-events.
    run_chunk = partial(_chunk_task, prices, out, market_caps, factors)
    jobs = ((i, positions, spec.subset(positions)) for i, positions in enumerate(chunks))
    began = time.perf_counter()
    fold = _Fold()
    for part in mapper(run_chunk, jobs):
        fold.add(part)
    parts = fold.parts
    logger.info("first pass: %d chunks in %.1f s", len(chunks), time.perf_counter() - began)
    n = np.sum([p.included.sum(axis=1) for p in parts], axis=0)
    if not n.any():
        raise InsufficientDataError(
            "no usable firm: every firm-event is excluded; check the tickers, dates and stored "
            "history (the reasons are in the excluded tables of " + str(out) + ")"
        )
    tests = _all_window_tests(spec, out, fold, n, mapper)
    totals = np.sum([p.totals for p in parts], axis=0)
    aggregate = pd.DataFrame(
        {
            "window": pd.array(spec.window_keys, dtype="string"),
            "n": n.astype("int64"),
            "caar": np.where(n > 0, totals[:, 0] / np.maximum(n, 1), np.nan),
            "dollar_impact_total": np.where(totals[:, 2] > 0, totals[:, 1], np.nan),
            "dollar_impact_n": totals[:, 2].astype("int64"),
            "value_change_total": np.where(totals[:, 4] > 0, totals[:, 3], np.nan),
        }
    )
    volatility = {
        key: volatility_from_sums(
            sum(p.volatility[j][0] for p in parts if j in p.volatility),
            sum(p.volatility[j][1] for p in parts if j in p.volatility),
        )
        for j, key in enumerate(spec.window_keys)
        if n[j]
    }
    day0 = spec.events["day0"]
    calendar = _combine_calendar(spec, parts) if day0.nunique() > 1 else {}
    if not keep_spill:
        for spilled in out.glob("resid-*.npy"):
            spilled.unlink()
    logger.info("out-of-core study: %d firm-events in %d chunks", len(day0), len(chunks))
    return ChunkedResult(
        spec=spec,
        folder=out,
        test_results=tests,
        calendar_time=calendar,
        volatility=volatility,
        n_included=n,
        aggregate=aggregate,
        aar=_combine_aar(spec, fold, n),
        chunks=len(chunks),
        rows=sum(p.n_rows for p in parts),
    )


def _chunk_task(
    prices: PriceProvider,
    folder: Path,
    market_caps: pd.DataFrame | None,
    factors: pd.DataFrame | None,
    job: tuple[int, np.ndarray, StudySpec],
) -> ChunkPart:
    index, positions, sub = job
    part = study_chunk(sub, prices, folder, index, positions, market_caps, factors)
    decoded.shrink(CHUNK_CACHE_BYTES)
    _return_freed_memory()
    return part


def _return_freed_memory() -> None:
    """Give free memory back to the system after a chunk: pyarrow's pool (what decoding the
    data files left) and the heap's free pages (glibc's ``malloc_trim``, as dask.distributed
    advises for its workers; a no-op elsewhere). The next chunk's peak then starts from what
    is live, not from what the last chunk left free."""
    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
