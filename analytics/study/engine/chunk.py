"""One chunk of the out-of-core engine (:mod:`analytics.study.engine.chunked`), the part a
worker runs: the first pass (:func:`study_chunk`: the firm stage, the chunk's Parquet tables and
spill file, its additive :class:`ChunkPart`) and the second pass over its spilled residuals
(:func:`second_pass`). Pure functions of their inputs apart from the files they write
atomically under fixed names, so a chunk run twice leaves the same files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.atomic import write_atomic
from analytics.study.engine.inputs import PriceProvider
from analytics.study.engine.run import calendar_regressors, calendar_sums
from analytics.study.engine.stage import Stage, firm_stage, study_result
from analytics.study.significance.correlation import (
    CorrelationSums,
    centred_residuals,
    grouped_sums,
    pattern_words,
    single_grouped_pairs,
)
from analytics.study.significance.nonparametric import rank_t_window_sums
from analytics.study.significance.ranking import ResidualSummary, summarize_residuals
from analytics.study.significance.window import WindowSums, window_sums
from analytics.study.spec import StudySpec
from analytics.study.volatility import volatility_sums

__all__ = [
    "ChunkPart",
    "Cumulative",
    "PassSums",
    "second_pass",
    "spilled_residuals",
    "study_chunk",
]


@dataclass(frozen=True, eq=False)
class Cumulative:
    """Count, mean and sum of squared deviations per day of firms' cumulative ARs."""

    n: int
    mean: np.ndarray
    m2: np.ndarray

    def __add__(self, other: Cumulative) -> Cumulative:
        if self.n == 0:
            return other
        if other.n == 0:
            return self
        n = self.n + other.n
        delta = other.mean - self.mean
        return Cumulative(
            n,
            self.mean + delta * (other.n / n),
            self.m2 + other.m2 + delta * delta * (self.n * other.n / n),
        )


@dataclass(frozen=True, eq=False)
class ChunkPart:
    """What one chunk returns to the client: small, additive summaries (see the module)."""

    index: int
    positions: np.ndarray  # (n,) places of the chunk's firm-events in spec.firm_events
    included: np.ndarray  # (n_win, n)
    sums: dict[int, WindowSums]
    words: np.ndarray  # pattern words of the firms used in any window (the spilled ones)
    aar: dict[int, tuple[np.ndarray, Cumulative]]  # AR sums per day, cumulative ARs
    totals: np.ndarray  # (n_win, 5): car, dollars, dollar firms, value change, change firms
    volatility: dict[int, tuple[float, int]]
    sessions: np.ndarray  # the chunk panel's sessions, for the calendar-time sums
    calendar: dict[str, tuple[np.ndarray, np.ndarray]]
    regressors: np.ndarray  # (T, k) calendar-time regressors on those sessions
    risk_free: np.ndarray | None
    n_rows: int  # rows written to windows-*.parquet


def _write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically (a retried chunk replaces, never duplicates)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    write_atomic(path, lambda handle: pq.write_table(table, handle))


def _spill(path: Path, values: np.ndarray) -> None:
    write_atomic(path, lambda handle: np.save(handle, values))


def _window_parts(stage: Stage) -> tuple[dict[int, WindowSums], dict]:
    fit = stage.core.fit
    sums, aar = {}, {}
    ranks: dict[bytes, ResidualSummary] = {}  # windows with the same firms share their ranks
    for j, inside in enumerate(stage.included):
        if not inside.any():
            continue
        e = fit.resid if inside.all() else fit.resid[:, inside]
        w = stage.ar[stage.window_rows[j]][:, inside]
        token = inside.tobytes()
        if token not in ranks:
            ranks[token] = summarize_residuals(e)
        sums[j] = window_sums(
            car=stage.car[j, inside], scar=stage.scar[j, inside], dof=fit.dof[inside],
            bhar=stage.bhar[j, inside], sigma=stage.sigma[inside], est_resid=e, window_ar=w,
            summary=ranks[token],
        )  # fmt: skip
        cumulative = np.cumsum(w, axis=0)
        mean = cumulative.mean(axis=1)
        aar[j] = (
            w.sum(axis=1),
            Cumulative(int(inside.sum()), mean, ((cumulative - mean[:, None]) ** 2).sum(axis=1)),
        )
    return sums, aar


def study_chunk(
    sub: StudySpec,
    prices: PriceProvider,
    folder: Path,
    index: int,
    positions: np.ndarray,
    market_caps: pd.DataFrame | None = None,
    factors: pd.DataFrame | None = None,
) -> ChunkPart:
    """Run chunk ``index``, the study ``sub`` of the firm-events at ``positions`` of the whole
    study: write its tables and spill file under ``folder`` and return its
    :class:`ChunkPart`. Pure apart from those files."""
    stage = firm_stage(sub, prices, market_caps=market_caps, factors=factors)
    dollars, value_change = stage.dollars()
    result = study_result(stage, dollar_impact=dollars, value_change=value_change,
                          test_results={}, placebo={})  # fmt: skip
    windows = result.windows
    _write_table(result.firms, folder / f"firms-{index:05d}.parquet")
    _write_table(windows, folder / f"windows-{index:05d}.parquet")
    _write_table(result.excluded, folder / f"excluded-{index:05d}.parquet")
    used = stage.included.any(axis=0)
    _spill(folder / f"resid-{index:05d}.npy", stage.core.fit.resid[:, used])
    sums, aar = _window_parts(stage)
    included = stage.included
    with_dollars = included & np.isfinite(dollars)
    with_change = with_dollars & np.isfinite(value_change)
    totals = np.column_stack(
        [
            np.where(included, stage.car, 0.0).sum(axis=1),
            np.where(with_dollars, dollars, 0.0).sum(axis=1),
            with_dollars.sum(axis=1),
            np.where(with_change, value_change, 0.0).sum(axis=1),
            with_change.sum(axis=1),
        ]
    )
    volatility = {
        j: volatility_sums(
            stage.ar[stage.window_rows[j]][:, inside],
            stage.var_ar[stage.window_rows[j]][:, inside],
            stage.core.fit.dof[inside],
        )
        for j, inside in enumerate(included)
        if inside.any()
    }
    regressors, risk_free = calendar_regressors(sub, stage.panel)
    return ChunkPart(
        index=index,
        positions=positions,
        included=included,
        sums=sums,
        words=pattern_words(np.isfinite(stage.core.fit.resid[:, used])),
        aar=aar,
        totals=totals,
        volatility=volatility,
        sessions=stage.panel.sessions.to_numpy(),
        calendar=calendar_sums(sub, stage.panel, stage.day0_rows, stage.columns, included),
        regressors=regressors,
        risk_free=risk_free,
        n_rows=len(windows),
    )


PassSums = tuple[CorrelationSums, tuple[np.ndarray, np.ndarray] | None]
"""A window's correlation sums and GRANK-T window rank sums from the second pass."""


def spilled_residuals(folder: Path, index: int) -> np.ndarray:
    """Chunk ``index``'s spilled estimation residuals: its firms used in any window."""
    return np.load(folder / f"resid-{index:05d}.npy")


def second_pass(
    folder: Path,
    index: int,
    inside: np.ndarray,
    group_of: np.ndarray,
    days: np.ndarray,
    singles: tuple[np.ndarray, np.ndarray, np.ndarray],
    levels: dict[int, np.ndarray | None],
) -> Iterator[tuple[int, PassSums]]:
    """The correlation sums and GRANK-T window ranks of chunk ``index``, per window ``j`` of
    ``levels`` (its GRANK-T levels, None when the rank spread is undefined), one window after
    the other (so that only one window's sums are made at a time).

    ``inside`` is ``(n_win, u)``: which of the chunk's spilled firms each window includes;
    ``group_of`` their groups in the plan of every spilled firm of the study; ``singles``
    the centred residuals, valid days and windows ``(n_win, S)`` of its one-by-one firms.
    The group sums are computed once for all spilled firms; a window lacking a few of them
    subtracts theirs (they add, so this is exact up to rounding), or adds its own when it
    lacks most.
    """
    e = spilled_residuals(folder, index)
    centred, _ = centred_residuals(e)
    everyone = grouped_sums(centred, group_of, days)
    grouped = group_of >= 0
    xs, ms, single_windows = singles
    windows = sorted(levels)
    totals, pairs = single_grouped_pairs(
        xs, ms, centred[:, grouped], days[:, group_of[grouped]] > 0,
        single_windows[windows], inside[windows][:, grouped],
    )  # fmt: skip
    for k, j in enumerate(windows):
        mine = inside[j]
        if mine.all():
            sums = everyone
        elif 2 * mine.sum() >= mine.size:
            sums = everyone - grouped_sums(centred[:, ~mine], group_of[~mine], days)
        else:
            sums = grouped_sums(centred[:, mine], group_of[mine], days)
        sums = replace(sums, total=float(totals[k]), pairs=int(pairs[k]))
        level = levels[j]
        yield j, (sums, None if level is None else rank_t_window_sums(e[:, mine], level))
