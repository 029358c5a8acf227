"""Returns from adjusted closes, the risk-free rate, alignment by relative day, spike screening.

Returns are computed over consecutive sessions of a session-indexed panel: a missing price makes
both returns that touch it missing, never bridged. Prices that are not positive finite numbers
count as missing.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd

from analytics.study.spec import ReturnKind

__all__ = ["TRADING_DAYS", "align", "daily_risk_free", "price_returns", "spikes"]

TRADING_DAYS = 252
"""Sessions per year used to turn an annual yield into a daily rate."""


def price_returns(prices: np.ndarray, kind: ReturnKind = "simple") -> np.ndarray:
    """Session-to-session returns of a ``(sessions, series)`` price array.

    Row 0 is NaN (no previous session). ``"simple"``: ``P_t / P_{t-1} - 1``; ``"log"``:
    ``log(P_t / P_{t-1})``.
    """
    p = np.asarray(prices, dtype="float64")
    ratio = _ratios(p.reshape(len(p), -1)).reshape(p.shape)
    return np.log(ratio) if kind == "log" else ratio - 1.0


@numba.njit(cache=True, nogil=True)
def _ratios(p):
    # P_t / P_t-1 where both are positive finite numbers, else NaN: one pass, same division.
    out = np.full(p.shape, np.nan)
    for t in range(1, p.shape[0]):
        for j in range(p.shape[1]):
            now, before = p[t, j], p[t - 1, j]
            if np.isfinite(now) and np.isfinite(before) and now > 0 and before > 0:
                out[t, j] = now / before
    return out


def daily_risk_free(yields: pd.Series, kind: ReturnKind = "simple", *, carry: int = 5) -> pd.Series:
    """Daily risk-free return of each session from an annual yield in percent (``^IRX``).

    The return earned from session ``t-1`` to ``t`` uses the yield quoted at ``t-1``'s close,
    converted as ``(1 + y/100) ** (1/252) - 1`` (``log1p`` of that for log returns). A yield
    is a level, not a price: gaps (bond-market holidays on NYSE sessions) carry the last quote
    forward for up to ``carry`` sessions.
    """
    level = yields.astype("float64").ffill(limit=carry).shift(1)
    daily = (1.0 + level / 100.0) ** (1.0 / TRADING_DAYS) - 1.0
    return daily.transform(np.log1p) if kind == "log" else daily


def align(
    values: np.ndarray,
    day0_rows: np.ndarray,
    rel_days: np.ndarray,
    columns: np.ndarray | None = None,
) -> np.ndarray:
    """Gather session-indexed ``values`` around each firm-event's day 0 by fancy indexing.

    Parameters
    ----------
    values
        Session-indexed data, ``(sessions,)`` or ``(sessions, c)``.
    day0_rows
        Row of each firm-event's day 0 in ``values``, shape ``(n_fe,)``.
    rel_days
        Relative days to gather, shape ``(n_rel,)``; rows must stay inside ``values``.
    columns
        Column of ``values`` of each firm-event (its ticker), shape ``(n_fe,)``; without it
        every firm-event gets all columns (common regressors such as factors).

    Returns
    -------
    ndarray
        ``(n_rel, n_fe)`` with ``columns`` or for 1-d ``values``, else ``(n_rel, n_fe, c)``;
        a read-only view when every firm-event shares one day 0 and ``columns`` are absent
        (the rows broadcast across the firm-events) or are every column in order.
    """
    first = int(day0_rows[0] + rel_days[0]) if len(day0_rows) and len(rel_days) else -1
    if (
        0 <= first <= len(values) - len(rel_days)
        and (day0_rows == day0_rows[0]).all()
        and (np.diff(rel_days) == 1).all()
    ):
        # One day 0 (a single-event study): a slice of rows, then the firms' columns.
        block = values[first : first + len(rel_days)]
        if columns is None:
            return np.broadcast_to(
                block[:, None], (len(rel_days), len(day0_rows), *block.shape[1:])
            )
        if len(columns) == block.shape[1] and (columns == np.arange(len(columns))).all():
            view = block.view()  # every column, in order: no copy
            view.flags.writeable = False
            return view
        return np.ascontiguousarray(block[:, columns])
    rows = day0_rows[None, :] + rel_days[:, None]
    if columns is None:
        return values[rows]
    return values[rows, columns[None, :]]


def spikes(returns: np.ndarray, kind: ReturnKind, *, threshold: float, jump: float) -> np.ndarray:
    """Where a ``(sessions, series)`` return array holds an implausible price spike.

    A session is a spike when ``|log(1+R)| > log(1+threshold)`` and the next session moves the
    other way by at least half as much (a quote error that is corrected), or when the price
    ratio ``1+R`` exceeds ``jump`` (a tenfold rise in one session is in practice always a data
    error; a fall that deep can be a real collapse and needs the reversal).
    """
    r = np.asarray(returns, dtype=float)
    logged = (lambda v: v) if kind == "log" else np.log1p
    large, rise = np.log1p(threshold), np.log(jump)
    # Every spike has |log(1+R)| > min(large, rise), so for simple returns |R| > the smaller
    # of 1 - e^-large and e^rise - 1: one cheap pass over R finds every candidate (with a
    # hair of margin for rounding), and the rule is evaluated on those few.
    bound = min(large, rise) if kind == "log" else min(-np.expm1(-large), np.expm1(rise))
    rows, cols = np.nonzero(np.abs(r) > 0.999 * bound)
    move = logged(r[rows, cols])
    last = len(r) - 1
    following = np.where(rows < last, logged(r[np.minimum(rows + 1, last), cols]), np.nan)
    size = np.abs(move)
    # Opposite signs: a product below zero (a move this large does not underflow it).
    reversal = (size > large) & (following * move < 0) & (np.abs(following) >= 0.5 * size)
    flags = np.zeros(r.shape, dtype=bool)
    flags[rows, cols] = reversal | (move > rise)
    return flags
