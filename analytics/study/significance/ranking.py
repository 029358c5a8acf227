"""What every window of a study reads of its estimation residuals, computed once
(:class:`ResidualSummary`): each firm's residuals sorted, its share of positive ones and the
per-day sums; and the per-firm loops of the rank and sign tests, compiled with numba.

A study sorts its estimation residuals once; each event window then merges its few abnormal
returns into every firm's sorted residuals (``O(L + L_w)`` per firm) instead of sorting again.
The loops write exact integer sums (twice the average ranks, the signs), so their totals do
not depend on the order of the firms, and chunks of firms add up to the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

from analytics.study.significance.parametric import day_sums

__all__ = [
    "ResidualSummary",
    "positive_shares",
    "rank_t_shift_sums",
    "summarize_residuals",
    "window_rank_sign_sums",
]


@dataclass(frozen=True, eq=False)
class ResidualSummary:
    """The estimation residuals of a set of firms as every window reads them: ``ordered``
    ``(N, L)`` each firm's residuals from the smallest up (its ``n_valid`` valid ones, then
    ``+inf``), ``order`` ``(N, L)`` their days, ``shares`` the :func:`positive_shares` and
    ``day_sums`` the per-day sums and counts
    (:func:`~analytics.study.significance.parametric.day_sums`)."""

    ordered: np.ndarray
    order: np.ndarray
    n_valid: np.ndarray
    shares: np.ndarray
    day_sums: tuple[np.ndarray, np.ndarray]

    @cached_property
    def rank_sums(self) -> np.ndarray:
        """``(L, L + 1)``: per day and number ``L_i`` of a firm's valid residuals, the sum over
        firms of twice the average rank ``2 K_it`` of its residual among its own."""
        return _estimation_rank_sums(self.ordered, self.order, self.n_valid)


def summarize_residuals(est_resid: np.ndarray) -> ResidualSummary:
    """:class:`ResidualSummary` of ``(L, N)`` residuals, NaN (or any non-finite value) where
    missing."""
    e = np.asarray(est_resid, dtype=float)
    values = np.array(e.T, order="C")
    valid = np.isfinite(values)
    values[~valid] = np.inf
    order = np.argsort(values, axis=1)
    return ResidualSummary(
        ordered=_gather(values, order),
        order=order,
        n_valid=valid.sum(axis=1).astype(np.int64),
        shares=positive_shares(e),
        day_sums=day_sums(e),
    )


def positive_shares(est_resid: np.ndarray) -> np.ndarray:
    """``(N,)``: each firm's share of positive estimation residuals over its valid days (NaN
    without any), what the generalized sign Z
    (:func:`~analytics.study.significance.nonparametric.generalized_sign_z`) averages into ``p``."""
    e = np.asarray(est_resid, dtype=float)
    valid = np.isfinite(e).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(valid > 0, (e > 0).sum(axis=0) / valid, np.nan)


def window_rank_sign_sums(
    summary: ResidualSummary, window_ar: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corrado's and Corrado-Zivney's per-day sums over the residuals and the window's ARs
    ``(L_w, N)`` of each firm together (days ``0..L-1`` the estimation's, then the window's):
    ``(D, D + 1)`` sums of ``2 K_it`` per day and number ``T_i`` of the firm's values, ``(D,)``
    sums of ``sign(A_it - median_i)`` and ``(D,)`` counts of firms with a value."""
    w = np.asarray(window_ar, dtype=float)
    window = np.array(w.T, order="C")
    ranks, signs = _window_rank_sign_sums(summary.ordered, summary.order, summary.n_valid, window)
    count = np.concatenate([summary.day_sums[1], np.isfinite(w).sum(axis=1)])
    return ranks, signs, count


def rank_t_shift_sums(
    est_resid: np.ndarray, level: np.ndarray, *, summary: ResidualSummary | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """GRANK-T's window value ``level_i`` added to each firm's ``(L, N)`` residuals: ``(L, L + 1)``
    per day and ``L_i`` the sums of twice the ranks it moves residuals up (2 above it, 1 equal),
    and ``(L + 1,)`` per ``L_i`` the sums of twice its own rank ``2 K_i0``. With the residuals'
    ``summary``, a walk up each firm's sorted residuals; without, comparisons in day order
    (several times slower, but no sort)."""
    g = np.asarray(level, dtype=float)
    if summary is not None:
        return _sorted_rank_t_shift_sums(summary.ordered, summary.order, summary.n_valid, g)
    e = np.asarray(est_resid, dtype=float)
    return _rank_t_shift_sums(e.reshape(len(e), -1), g)


@numba.njit(cache=True, nogil=True)
def _gather(values, order):
    # np.take_along_axis(values, order, axis=1), several times faster on rows this short.
    out = np.empty_like(values)
    for i in range(values.shape[0]):
        for p in range(values.shape[1]):
            out[i, p] = values[i, order[i, p]]
    return out


@numba.njit(cache=True, nogil=True)
def _estimation_rank_sums(ordered, order, n_valid):
    n, days = ordered.shape
    out = np.zeros((days + 1, days))  # by L_i, then day: each firm adds to one row
    for i in range(n):
        k = n_valid[i]
        row = ordered[i]
        by_day = out[k]
        start = 0
        while start < k:
            stop = start + 1
            while stop < k and row[stop] == row[start]:
                stop += 1
            twice = start + stop + 1  # first + last + 2 over 0-based positions
            for p in range(start, stop):
                by_day[order[i, p]] += twice
            start = stop
    return out.T


@numba.njit(cache=True, nogil=True)
def _window_rank_sign_sums(ordered, order, n_valid, window):
    n, days = ordered.shape
    width = window.shape[1]
    total = days + width
    ranks = np.zeros((total + 1, total))  # by T_i, then day: each firm adds to one row
    signs = np.zeros(total)
    merged = np.empty(total)
    merged_day = np.empty(total, dtype=np.int64)
    own = np.empty(width)
    own_day = np.empty(width, dtype=np.int64)
    for i in range(n):
        m = 0  # the window's valid values, sorted by insertion
        for j in range(width):
            x = window[i, j]
            if np.isfinite(x):
                p = m
                while p > 0 and own[p - 1] > x:
                    own[p] = own[p - 1]
                    own_day[p] = own_day[p - 1]
                    p -= 1
                own[p] = x
                own_day[p] = days + j
                m += 1
        k = n_valid[i]
        size = k + m
        row = ordered[i]
        days_of = order[i]
        a = 0
        b = 0
        for p in range(size):
            if b >= m or (a < k and row[a] <= own[b]):
                merged[p] = row[a]
                merged_day[p] = days_of[a]
                a += 1
            else:
                merged[p] = own[b]
                merged_day[p] = own_day[b]
                b += 1
        if size == 0:
            continue
        median = 0.5 * (merged[(size - 1) // 2] + merged[size // 2])
        by_day = ranks[size]
        start = 0
        while start < size:  # each run of ties: its average rank, its sign
            value = merged[start]
            stop = start + 1
            while stop < size and merged[stop] == value:
                stop += 1
            twice = start + stop + 1  # first + last + 2 over 0-based positions
            sign = 1.0 if value > median else (-1.0 if value < median else 0.0)
            for p in range(start, stop):
                day = merged_day[p]
                by_day[day] += twice
                signs[day] += sign
            start = stop
    return ranks.T, signs


@numba.njit(cache=True, nogil=True)
def _rank_t_shift_sums(e, level):
    days, firms = e.shape
    n_valid = np.zeros(firms, dtype=np.int64)
    for t in range(days):
        for i in range(firms):
            if np.isfinite(e[t, i]):
                n_valid[i] += 1
    shifts = np.zeros((days + 1, days))  # by L_i, then day
    below = np.zeros(firms, dtype=np.int64)
    equal = np.zeros(firms, dtype=np.int64)
    for t in range(days):
        for i in range(firms):
            x = e[t, i]
            if np.isfinite(x):  # branch-free below: above or not is a coin toss per value
                above = x > level[i]
                tied = x == level[i]
                shifts[n_valid[i], t] += 2.0 * above + tied
                equal[i] += tied
                below[i] += 1 - above - tied
    window = np.zeros(days + 1)
    for i in range(firms):
        window[n_valid[i]] += 2 + 2 * below[i] + equal[i]
    return shifts.T, window


@numba.njit(cache=True, nogil=True)
def _sorted_rank_t_shift_sums(ordered, order, n_valid, level):
    n, days = ordered.shape
    shifts = np.zeros((days + 1, days))  # by L_i, then day
    window = np.zeros(days + 1)
    for i in range(n):
        k = n_valid[i]
        g = level[i]
        by_day = shifts[k]
        below = 0
        equal = 0
        for p in range(k):
            day = order[i, p]
            x = ordered[i, p]
            if x > g:
                by_day[day] += 2.0
            elif x == g:
                by_day[day] += 1.0
                equal += 1
            else:
                below += 1
        window[k] += 2 + 2 * below + equal
    return shifts.T, window
