"""An in-memory price provider: the store's read interface over a wide frame of closes.

Tests, benches and notebooks use it to run studies on hand-made or already loaded prices without
a store directory. It answers :meth:`panel` and :meth:`coverage` exactly as
:class:`~analytics.data.store.PriceStore` does (every XNYS session of the range in the index,
the requested tickers in order as columns, all-NaN for unknown ones).

>>> import pandas as pd
>>> from analytics.calendar import sessions
>>> days = sessions("2025-01-02", "2025-01-08")
>>> prices = MemoryPrices(pd.DataFrame({"SPY": range(1, len(days) + 1)}, index=days))
>>> prices.panel(["SPY", "NONE"], days[1], days[2])  # doctest: +NORMALIZE_WHITESPACE
            SPY  NONE
date
2025-01-03  2.0   NaN
2025-01-06  3.0   NaN
>>> prices.coverage(["SPY"])[["ticker", "rows"]].to_dict("records")
[{'ticker': 'SPY', 'rows': 5}]
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics import calendar
from analytics.calendar import DateLike, parse_date

__all__ = ["MemoryPrices"]


class MemoryPrices:
    """Adjusted closes held in memory: ``wide`` has dates in the index and tickers as columns.

    Parameters
    ----------
    wide
        Adjusted closes; rows on dates that are not sessions are ignored.
    """

    def __init__(self, wide: pd.DataFrame) -> None:
        index = pd.DatetimeIndex(pd.to_datetime(wide.index)).normalize()
        frame = wide.set_axis(index.astype("datetime64[ns]"), axis=0).sort_index()
        self.wide = frame.astype("float64").rename(columns=str)

    @classmethod
    def from_long(cls, prices: pd.DataFrame) -> MemoryPrices:
        """From tidy ``ticker, date, adj_close`` rows (as sources and files give them)."""
        wide = prices.pivot_table(
            index="date", columns="ticker", values="adj_close", aggfunc="last"
        )
        return cls(wide.rename_axis(index=None, columns=None))

    def __repr__(self) -> str:
        return f"MemoryPrices({self.wide.shape[1]} tickers, {self.wide.shape[0]} dates)"

    def tickers(self) -> list[str]:
        """The tickers with at least one price, sorted."""
        return sorted(str(c) for c in self.wide.columns[self.wide.notna().any()])

    def panel(self, tickers: Sequence[str], start: DateLike, end: DateLike) -> pd.DataFrame:
        """Wide adjusted closes on every session in ``[start, end]``, columns ``tickers``."""
        grid = calendar.sessions(parse_date(start, name="start"), parse_date(end, name="end"))
        return self.wide.reindex(index=grid.astype("datetime64[ns]"), columns=list(tickers))

    def coverage(self, tickers: Sequence[str]) -> pd.DataFrame:
        """Per ticker the first and last stored date and the number of rows (0 if unknown)."""
        sub = self.wide.reindex(columns=list(tickers))
        return pd.DataFrame(
            {
                "ticker": pd.Series(list(tickers), dtype="str"),
                "first": [sub[t].first_valid_index() for t in tickers],
                "last": [sub[t].last_valid_index() for t in tickers],
                "rows": sub.notna().sum().to_numpy(dtype="int64"),
            }
        )
