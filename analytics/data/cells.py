"""Cell-level helpers of the store's queries: argument checks, (ticker, session) cells, runs.

A *cell* is one ticker on one session. :func:`stored_cells` queries a
:class:`~analytics.data.snapshot.Snapshot` for the cells stored in a grid (prices are read from
the decoded files, :mod:`analytics.data.decoded`); :func:`runs` finds the
runs of missing sessions the fetcher asks sources for.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.calendar import FIRST_DATE, LAST_DATE, DateLike, parse_date
from analytics.data.decoded import locate
from analytics.data.snapshot import Snapshot, sql_list
from analytics.errors import SpecError

__all__ = ["date_range", "runs", "stored_cells", "ticker_list"]


def ticker_list(tickers: Sequence[str] | str, *, name: str = "tickers") -> list[str]:
    """Upper-case, stripped, unique tickers; a single string counts as one ticker."""
    raw = [tickers] if isinstance(tickers, str) else list(tickers)
    cleaned = [str(t).strip().upper() for t in raw]
    if not all(cleaned):
        position = cleaned.index("")
        raise SpecError(
            f"{name}: item {position + 1} ({raw[position]!r}) is an empty ticker; "
            "pass symbols such as 'NVDA'"
        )
    index = pd.Index(cleaned, dtype="str")
    if index.has_duplicates:
        repeated = sorted(index[index.duplicated()].unique())
        raise SpecError(
            f"{name}: {', '.join(repeated)} given more than once; pass each ticker once"
        )
    return cleaned


def date_range(start: DateLike | None, end: DateLike | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo = FIRST_DATE if start is None else parse_date(start, name="start")
    hi = LAST_DATE if end is None else parse_date(end, name="end")
    if lo > hi:
        raise SpecError(f"start: {lo.date()} is after end {hi.date()}; pass start <= end")
    return lo, hi


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of True per row: (row, first column, last column), row-major order."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    steps = np.diff(padded, axis=1)
    rows, first = np.nonzero(steps == 1)
    _, after = np.nonzero(steps == -1)
    return rows, first, after - 1


def stored_cells(
    snapshot: Snapshot, con: duckdb.DuckDBPyConnection, names: list[str], days: np.ndarray
) -> np.ndarray:
    """Matrix (ticker x session) that is True where a row is stored."""
    stored = np.zeros((len(names), len(days)), dtype=bool)
    lo, hi = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
    paths = snapshot.between(lo, hi)
    if not paths:
        return stored
    con.register(
        "wanted",
        pa.table({"ticker": pa.array(names, pa.string()), "row": np.arange(len(names))}),
    )
    sql = (
        f"SELECT w.row, p.date FROM read_parquet({sql_list(paths)}) AS p "
        "JOIN wanted AS w ON p.ticker = w.ticker WHERE p.date BETWEEN $lo AND $hi"
    )
    cells = con.sql(sql, params={"lo": lo.date(), "hi": hi.date()}).to_arrow_table()
    cols = locate(days, cells["date"].to_numpy())
    keep = cols >= 0
    stored[cells["row"].to_numpy()[keep], cols[keep]] = True
    return stored
