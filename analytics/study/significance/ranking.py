"""Each firm's residuals sorted once (:class:`SortedResiduals`), and the per-firm loops of the
rank and sign tests over them, compiled with numba.

A study sorts its estimation residuals once; each event window then merges its few abnormal
returns into every firm's sorted residuals (``O(L + L_w)`` per firm) instead of sorting again.
The loops write exact integer sums (twice the average ranks, signs, counts), so their totals do
not depend on the order of the firms, and chunks of firms add up to the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

__all__ = [
    "SortedResiduals",
    "rank_t_shift_sums",
    "sort_residuals",
    "window_rank_sign_sums",
]


@dataclass(frozen=True, eq=False)
class SortedResiduals:
    """Estimation residuals by firm: ``values`` ``(N, L)`` in day order with ``+inf`` where
    missing, ``order`` ``(N, L)`` the days of each firm from its smallest residual up (the
    ``n_valid`` valid ones first)."""

    values: np.ndarray
    order: np.ndarray
    n_valid: np.ndarray

    @cached_property
    def rank_sums(self) -> np.ndarray:
        """``(L, L + 1)``: per day and number ``L_i`` of a firm's valid residuals, the sum over
        firms of twice the average rank ``2 K_it`` of its residual among its own."""
        return _estimation_rank_sums(self.values, self.order, self.n_valid)


def sort_residuals(est_resid: np.ndarray) -> SortedResiduals:
    """:class:`SortedResiduals` of ``(L, N)`` residuals, NaN (or any non-finite value) where
    missing."""
    values = np.array(np.asarray(est_resid, dtype=float).T, order="C")
    valid = np.isfinite(values)
    values[~valid] = np.inf
    return SortedResiduals(
        values=values,
        order=np.argsort(values, axis=1),
        n_valid=valid.sum(axis=1).astype(np.int64),
    )


def window_rank_sign_sums(
    ranked: SortedResiduals, window_ar: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corrado's and Corrado-Zivney's per-day sums over the residuals and the window's ARs
    ``(L_w, N)`` of each firm together (days ``0..L-1`` the estimation's, then the window's):
    ``(D, D + 1)`` sums of ``2 K_it`` per day and number ``T_i`` of the firm's values, ``(D,)``
    sums of ``sign(A_it - median_i)`` and ``(D,)`` counts of firms with a value."""
    window = np.array(np.asarray(window_ar, dtype=float).T, order="C")
    return _window_rank_sign_sums(ranked.values, ranked.order, ranked.n_valid, window)


def rank_t_shift_sums(ranked: SortedResiduals, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GRANK-T's window value ``level_i`` added to each firm's residuals: ``(L, L + 1)`` per day
    and ``L_i`` the sums of twice the ranks it moves residuals up (2 above it, 1 equal), and
    ``(L + 1,)`` per ``L_i`` the sums of twice its own rank ``2 K_i0``."""
    return _rank_t_shift_sums(
        ranked.values, ranked.order, ranked.n_valid, np.asarray(level, dtype=float)
    )


@numba.njit(cache=True, nogil=True)
def _estimation_rank_sums(values, order, n_valid):
    n, days = values.shape
    out = np.zeros((days, days + 1))
    for i in range(n):
        k = n_valid[i]
        start = 0
        while start < k:
            stop = start + 1
            while stop < k and values[i, order[i, stop]] == values[i, order[i, start]]:
                stop += 1
            twice = start + stop + 1  # first + last + 2 over 0-based positions
            for p in range(start, stop):
                out[order[i, p], k] += twice
            start = stop
    return out


@numba.njit(cache=True, nogil=True)
def _window_rank_sign_sums(values, order, n_valid, window):
    n, days = values.shape
    width = window.shape[1]
    total = days + width
    ranks = np.zeros((total, total + 1))
    signs = np.zeros(total)
    count = np.zeros(total, dtype=np.int64)
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
        a = 0
        b = 0
        for p in range(size):
            if b >= m or (a < k and values[i, order[i, a]] <= own[b]):
                merged[p] = values[i, order[i, a]]
                merged_day[p] = order[i, a]
                a += 1
            else:
                merged[p] = own[b]
                merged_day[p] = own_day[b]
                b += 1
        start = 0
        while start < size:
            stop = start + 1
            while stop < size and merged[stop] == merged[start]:
                stop += 1
            twice = start + stop + 1
            for p in range(start, stop):
                ranks[merged_day[p], size] += twice
            start = stop
        if size > 0:
            median = 0.5 * (merged[(size - 1) // 2] + merged[size // 2])
            for p in range(size):
                day = merged_day[p]
                count[day] += 1
                if merged[p] > median:
                    signs[day] += 1.0
                elif merged[p] < median:
                    signs[day] -= 1.0
    return ranks, signs, count


@numba.njit(cache=True, nogil=True)
def _rank_t_shift_sums(values, order, n_valid, level):
    n, days = values.shape
    shifts = np.zeros((days, days + 1))
    window = np.zeros(days + 1)
    for i in range(n):
        k = n_valid[i]
        g = level[i]
        below = 0
        equal = 0
        for p in range(k):
            day = order[i, p]
            x = values[i, day]
            if x > g:
                shifts[day, k] += 2.0
            elif x == g:
                shifts[day, k] += 1.0
                equal += 1
            else:
                below += 1
        window[k] += 2 + 2 * below + equal
    return shifts, window
