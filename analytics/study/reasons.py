"""Exclusion reasons a user can act on, from what the study service knows beyond the engine.

The engine sees prices only: a ticker without any stored row is an "unknown ticker", a window it
cannot fill has a "missing price". The study service also knows the reference tables and the
store's coverage, so it can say more (:func:`explain_exclusions`):

- a ticker the reference knows (e.g. listed with the SEC, an S&P 500 member) but without prices
  is ``"not in the data"`` (delisted, or absent from the data pack), not an unknown ticker;
- too little history reads ``"too little history (N of M returns)"``: N valid estimation returns
  of the M that ``min_estimation`` asks;
- a window that ends after the ticker's last stored price reads ``"prices end on YYYY-MM-DD"``.

>>> reason_prices_end(pd.Timestamp("2025-02-18"))
'excluded: prices end on 2025-02-18'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from analytics import calendar
from analytics.study.result import STATUS_OK, StudyResult

__all__ = [
    "NOT_IN_DATA",
    "UNKNOWN_TICKER",
    "explain_exclusions",
    "reason_prices_end",
    "reason_too_little_history",
]

UNKNOWN_TICKER = "excluded: unknown ticker"
"""The engine's reason for a ticker without any stored price."""
NOT_IN_DATA = "excluded: not in the data"
"""A ticker the reference tables know, but without prices (delisted, or not in the pack)."""
_HISTORY = "excluded: too little history"
_MISSING = "excluded: missing price in window "


def reason_prices_end(last: pd.Timestamp) -> str:
    """The reason of a window that ends after the last stored price ``last``."""
    return f"excluded: prices end on {pd.Timestamp(last):%Y-%m-%d}"


def reason_too_little_history(n: int, needed: int) -> str:
    """The reason of a firm-event with ``n`` valid estimation returns of ``needed``."""
    return f"{_HISTORY} ({n} of {needed} returns)"


def _firm_status(status: np.ndarray) -> tuple[str, ...]:
    """Per firm-event (column): ``"ok"`` when usable in a window, else the one reason (or each
    window's, joined), as the engine words it."""
    out = []
    for column in status.T:
        if (column == STATUS_OK).any():
            out.append(STATUS_OK)
        elif (column == column[0]).all():
            out.append(str(column[0]))
        else:
            out.append("excluded: " + "; ".join(str(s).removeprefix("excluded: ") for s in column))
    return tuple(out)


def explain_exclusions(
    result: StudyResult,
    *,
    known: Collection[str] = (),
    last_stored: Mapping[str, pd.Timestamp] | None = None,
) -> StudyResult:
    """``result`` with the engine's reasons reworded from what the caller knows.

    Parameters
    ----------
    result
        The engine's result.
    known
        Tickers the reference tables know (their missing prices are "not in the data").
    last_stored
        Ticker → date of its last stored price (a window ending later: "prices end on ...").

    Returns
    -------
    StudyResult
        The same numbers; only ``firm_status`` and ``window_status`` texts change.
    """
    status = result.window_status.astype(object).copy()
    tickers = result.events["ticker"].astype(str).to_numpy()
    known_set = set(known)
    last = dict(last_stored or {})
    day0 = pd.to_datetime(result.events["day0"])
    # Only firm-events left out of some window have a reason to reword (a market study's
    # thousands of usable firms cost one comparison).
    flagged = np.flatnonzero(~(result.window_status == STATUS_OK).all(axis=0))
    for i in flagged:
        ticker = tickers[i]
        column = status[:, i]
        if ticker in known_set:
            column[column == UNKNOWN_TICKER] = NOT_IN_DATA
        history = np.array([str(s).startswith(_HISTORY) for s in column])
        if history.any():
            n = int(result.n_estimation[i])
            column[history] = reason_too_little_history(n, result.spec.min_estimation)
        end = last.get(ticker)
        if end is None or pd.isna(end):
            continue
        for j, (_, b) in enumerate(result.spec.windows):
            if str(column[j]).startswith(_MISSING) and calendar.offset(day0.iloc[i], b) > end:
                column[j] = reason_prices_end(end)
    if np.array_equal(status, result.window_status):
        return result
    return dataclasses.replace(result, window_status=status, firm_status=_firm_status(status))
