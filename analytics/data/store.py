"""The embedded price store: a directory of plain Parquet files queried in-process by DuckDB.

Layout of a store directory::

    manifest.json              the current snapshot: generation number and one file per year
    prices/YYYY.gNNNNNN.parquet one immutable file per calendar year (ticker, date, prices),
                               sorted by ticker and date, zstd, 64k-row groups
    fetch_log.parquet          which (ticker, source, sessions) were already asked of a source
                               (see :mod:`analytics.data.fetchlog`)
    .write.lock                serializes writers across processes

A data file is never modified: a write creates new files under fresh names (temp file, fsync,
rename, fsync of the directory), then atomically replaces ``manifest.json`` to commit, then deletes
the files it superseded. Hence

* a reader works on the snapshot its manifest names; should a writer delete one of those files
  mid-query, the read restarts on the newer manifest, so readers never see a half-written or mixed
  snapshot (also from another process);
* ``kill -9`` at any point leaves the previous manifest and all its files intact; the leftovers of
  the interrupted write are removed by the next writer, under the lock;
* between writes ``prices/`` holds exactly the current snapshot, so Dask, DuckDB or pyarrow can read
  it as one Parquet dataset (:meth:`PriceStore.files` lists it).

The snapshot machinery lives in :mod:`analytics.data.snapshot` and the cell queries in
:mod:`analytics.data.cells`; this module is the store's interface.

Upserts rewrite only the years they touch (a daily refresh rewrites the current year only) and
skip years where nothing changes, so re-importing the same data rewrites nothing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analytics.atomic import fsync_dir
from analytics.calendar import FIRST_DATE, LAST_DATE, DateLike, sessions
from analytics.data.cells import (
    date_range,
    runs,
    stored_cells,
    ticker_list,
)
from analytics.data.decoded import panel_values
from analytics.data.fetchlog import FETCH_LOG_FILE, FetchLog, interval_mask, write_parquet
from analytics.data.schema import ValidatedPrices, validate_prices
from analytics.data.snapshot import SCHEMA, VALUES, Snapshot, SnapshotFiles, sql_list
from analytics.errors import SpecError

__all__ = ["PriceStore"]

logger = logging.getLogger(__name__)


def _file_has_values(path: Path, column: str) -> bool:
    """Whether the Parquet file at ``path`` has a non-null ``column`` value; cached by path,
    size and modification time (a store rebuilt under the same path is read anew)."""
    info = path.stat()
    return _has_values(str(path), column, info.st_size, info.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _has_values(path: str, column: str, size: int, mtime_ns: int) -> bool:
    """Whether the Parquet file at ``path`` has a non-null ``column`` value (its statistics)."""
    meta = pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    if column not in names:
        return False
    at = names.index(column)
    for group in range(meta.num_row_groups):
        chunk = meta.row_group(group)
        stats = chunk.column(at).statistics
        if stats is None or not stats.has_null_count or stats.null_count < chunk.num_rows:
            return True
    return False


class PriceStore:
    """Daily prices of many tickers kept in a local directory (see the module docstring).

    Parameters
    ----------
    root
        The store directory; created on the first write. Reading a store that does not exist
        yet returns empty results.
    lock_timeout
        Seconds a writer waits for another writer before raising :class:`StoreError`.

    Examples
    --------
    >>> store = PriceStore(tmp_path)  # doctest: +SKIP
    >>> store.upsert(prices)  # doctest: +SKIP
    >>> store.panel(["NVDA", "SPY"], "2025-01-02", "2025-01-31")  # doctest: +SKIP
    """

    def __init__(self, root: Path | str, *, lock_timeout: float = 120.0) -> None:
        self._root = Path(root).expanduser().absolute()
        self._lock_timeout = lock_timeout
        self._db = duckdb.connect()
        self._files = SnapshotFiles(self._root, lock_timeout=lock_timeout, db=self._db)

    def __repr__(self) -> str:
        return f"PriceStore({str(self._root)!r})"

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its path: a worker process (or a Dask worker on a shared filesystem)
        opens the same store."""
        return (_reopen, (self._root, self._lock_timeout))

    @property
    def root(self) -> Path:
        """The store directory."""
        return self._root

    @property
    def _log(self) -> FetchLog:
        return FetchLog(self._root / FETCH_LOG_FILE)

    # -- snapshots and reads -------------------------------------------------------------------

    def files(self) -> list[Path]:
        """The Parquet files of the current snapshot, oldest year first (for Dask, DuckDB...)."""
        return self._files.snapshot().between(FIRST_DATE, LAST_DATE)

    def disk_usage(self) -> int:
        """Bytes used by the current snapshot's data files and the fetch log."""
        total = 0
        for path in [*self.files(), self._log.path]:
            # A writer may just have replaced the file: it then counts in the next call.
            with contextlib.suppress(FileNotFoundError):
                total += path.stat().st_size
        return total

    def tickers(self) -> list[str]:
        """Every ticker with at least one stored row, sorted."""

        def run(snapshot: Snapshot, con: duckdb.DuckDBPyConnection) -> list[str]:
            paths = snapshot.between(FIRST_DATE, LAST_DATE)
            if not paths:
                return []
            sql = f"SELECT DISTINCT ticker FROM read_parquet({sql_list(paths)}) ORDER BY ticker"
            return [str(t) for t in con.sql(sql).fetchnumpy()["ticker"]]

        return self._files.read(run)

    def prices(
        self,
        tickers: Sequence[str] | str | None = None,
        start: DateLike | None = None,
        end: DateLike | None = None,
        *,
        columns: Sequence[str] = ("adj_close",),
    ) -> pd.DataFrame:
        """Stored rows as a long frame ``ticker, date, *columns`` sorted by ticker and date.

        Parameters
        ----------
        tickers
            Tickers to return (``None``: all). Unknown tickers simply have no rows.
        start, end
            Inclusive date range (``None``: unbounded).
        columns
            Value columns among ``adj_close, open, high, low, close, volume``.
        """
        wanted = None if tickers is None else ticker_list(tickers)
        lo, hi = date_range(start, end)
        unknown = [c for c in columns if c not in VALUES]
        if unknown or not columns:
            raise SpecError(
                f"columns: {list(columns)!r} must name one or more of {', '.join(VALUES)}"
            )
        select = ", ".join(["ticker", "date", *(f'"{c}"' for c in columns)])

        def run(snapshot: Snapshot, con: duckdb.DuckDBPyConnection) -> pa.Table:
            paths = snapshot.between(lo, hi)
            if not paths or wanted == []:
                return SCHEMA.empty_table().select(["ticker", "date", *columns])
            where = "date BETWEEN $lo AND $hi"
            if wanted is not None:
                con.register("wanted", pa.table({"ticker": pa.array(wanted, pa.string())}))
                where += " AND ticker IN (SELECT ticker FROM wanted)"
            sql = (
                f"SELECT {select} FROM read_parquet({sql_list(paths)}) "
                f"WHERE {where} ORDER BY ticker, date"
            )
            return con.sql(sql, params={"lo": lo.date(), "hi": hi.date()}).to_arrow_table()

        table = self._files.read(run)
        frame = table.to_pandas()
        frame["ticker"] = frame["ticker"].astype("str")
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
        return frame

    def holds(
        self, column: str, start: DateLike | None = None, end: DateLike | None = None
    ) -> bool:
        """Whether any stored row in ``[start, end]`` has a ``column`` value (e.g. ``volume``).

        Read from the data files' Parquet statistics (null counts), cached per file: the files
        are immutable, so this costs a manifest read once they are known.
        """
        lo, hi = date_range(start, end)
        try:
            paths = self._files.snapshot().between(lo, hi)
            return any(_file_has_values(path, column) for path in paths)
        except OSError:  # a file replaced under us: say yes, the query itself will tell
            return True

    def panel(self, tickers: Sequence[str] | str, start: DateLike, end: DateLike) -> pd.DataFrame:
        """Adjusted closes as a wide frame: one row per XNYS session, one column per ticker.

        The index is every session in ``[start, end]`` (named ``date``); columns are ``tickers``
        in the given order (upper-cased); NaN where no price is stored (a ticker without data gets
        an all-NaN column). Stored rows on non-session dates are ignored.
        """
        names = ticker_list(tickers)
        lo, hi = date_range(start, end)
        grid = sessions(lo, hi)
        values = np.full((len(grid), len(names)), np.nan)
        if len(grid) and names:
            # Each data file is decoded once per process, and each panel gathered from them
            # kept (analytics.data.decoded): a warm read is one copy.
            files = self._files.decode(lambda snapshot: snapshot.between(lo, hi))
            values = panel_values(files, names, grid.values.astype("datetime64[D]")).copy()
        # copy=False: the frame keeps this fresh copy (and its row-major layout) as it is.
        columns = pd.Index(names, name="ticker", dtype="str")
        return pd.DataFrame(values, index=grid, columns=columns, copy=False)

    def coverage(
        self,
        tickers: Sequence[str] | str | None = None,
        *,
        start: DateLike | None = None,
        end: DateLike | None = None,
    ) -> pd.DataFrame:
        """Per ticker: ``first`` and ``last`` stored date and the number of ``rows``.

        Restricted to ``[start, end]`` if given. Requested tickers without rows are listed with
        ``rows`` 0 and NaT dates. Sorted by ticker.
        """
        wanted = None if tickers is None else ticker_list(tickers)
        lo, hi = date_range(start, end)

        def run(snapshot: Snapshot, con: duckdb.DuckDBPyConnection) -> pa.Table:
            paths = snapshot.between(lo, hi)
            if not paths:
                return pa.table(
                    {
                        "ticker": pa.array([], pa.string()),
                        "first": pa.array([], pa.date32()),
                        "last": pa.array([], pa.date32()),
                        "rows": pa.array([], pa.int64()),
                    }
                )
            where = "date BETWEEN $lo AND $hi"
            if wanted is not None:
                con.register("wanted", pa.table({"ticker": pa.array(wanted, pa.string())}))
                where += " AND ticker IN (SELECT ticker FROM wanted)"
            sql = (
                'SELECT ticker, min(date) AS "first", max(date) AS "last", count(*) AS "rows" '
                f"FROM read_parquet({sql_list(paths)}) WHERE {where} "
                "GROUP BY ticker ORDER BY ticker"
            )
            return con.sql(sql, params={"lo": lo.date(), "hi": hi.date()}).to_arrow_table()

        found = self._files.read(run).to_pandas()
        frame = pd.DataFrame(
            {
                "ticker": found["ticker"].astype("str"),
                "first": pd.to_datetime(found["first"]).astype("datetime64[ns]"),
                "last": pd.to_datetime(found["last"]).astype("datetime64[ns]"),
                "rows": found["rows"].astype("int64"),
            }
        )
        if wanted is not None:
            frame = (
                frame.set_index("ticker")
                .reindex(pd.Index(sorted(wanted), name="ticker", dtype="str"))
                .fillna({"rows": 0})
                .astype({"rows": "int64"})
                .reset_index()
            )
        return frame

    def missing_ranges(
        self,
        tickers: Sequence[str] | str,
        start: DateLike,
        end: DateLike,
        *,
        source: str | None = None,
        max_hole: int = 5,
    ) -> pd.DataFrame:
        """Session ranges in ``[start, end]`` worth asking a source for, per ticker.

        A session is missing for a ticker when no row is stored for it, except

        * holes of at most ``max_hole`` sessions with stored rows on both sides (trading halts,
          thin trading): refetching them would repeat forever, so they count as present;
        * sessions the fetch log records as already asked of ``source`` (of any source if
          ``None``) at least a week before: a source that had nothing then (pre-IPO, delisted)
          is not asked again.

        Returns
        -------
        pandas.DataFrame
            Columns ``ticker, start, end`` (first and last missing session of each run of
            consecutive missing sessions), in the order of ``tickers`` then ``start``.
        """
        names = ticker_list(tickers)
        lo, hi = date_range(start, end)
        if max_hole < 0:
            raise SpecError(f"max_hole: {max_hole} is negative; pass 0 or more sessions")
        pad = pd.Timedelta(days=2 * max_hole + 10)
        window = sessions(max(lo - pad, FIRST_DATE), min(hi + pad, LAST_DATE))
        days = window.values.astype("datetime64[D]")
        first = int(np.searchsorted(days, np.datetime64(lo.date(), "D")))
        last = int(np.searchsorted(days, np.datetime64(hi.date(), "D"), side="right"))
        empty = pd.DataFrame(
            {
                "ticker": pd.Series(dtype="str"),
                "start": pd.Series(dtype="datetime64[ns]"),
                "end": pd.Series(dtype="datetime64[ns]"),
            }
        )
        if first >= last or not names:
            return empty
        lo_pos, hi_pos = max(0, first - max_hole), min(len(days), last + max_hole)
        days = days[lo_pos:hi_pos]
        core = slice(first - lo_pos, last - lo_pos)
        stored = self._files.read(lambda snapshot, con: stored_cells(snapshot, con, names, days))
        missing = ~stored
        rows, a, b = runs(missing)
        hole = (a > 0) & (b < len(days) - 1) & (b - a + 1 <= max_hole)
        missing &= ~interval_mask(rows[hole], a[hole], b[hole], missing.shape)
        missing &= ~self._log.settled(names, days, source)
        rows, a, b = runs(missing[:, core])
        if not len(rows):
            return empty
        core_days = window[first:last]
        return pd.DataFrame(
            {
                "ticker": pd.Series(np.asarray(names, dtype=object)[rows], dtype="str"),
                "start": core_days[a].to_numpy(),
                "end": core_days[b].to_numpy(),
            }
        )

    # -- the fetch log -------------------------------------------------------------------------

    def fetch_log(self) -> pd.DataFrame:
        """What was asked of which source: ``ticker, source, start, end, rows, fetched_at``.

        ``start``..``end`` are the settled sessions of a request (its sessions at least a week
        older than the request); adjacent requests of one ticker and source are merged.
        """
        return self._log.frame()

    def record_fetch(
        self,
        tickers: Sequence[str] | str,
        start: DateLike,
        end: DateLike,
        *,
        source: str,
        rows: Mapping[str, int] | None = None,
        when: pd.Timestamp | None = None,
    ) -> None:
        """Remember that ``source`` was asked for ``tickers`` over ``[start, end]``.

        Parameters
        ----------
        tickers, start, end
            The request.
        source
            The source's name.
        rows
            Rows the source returned per ticker (missing tickers: 0), kept for information.
        when
            Time of the request (default: now). Only sessions at least a week before it are
            recorded as settled, so sessions a source had not published yet are asked again.
        """
        names = ticker_list(tickers)
        lo, hi = date_range(start, end)
        entries = self._log.entries(names, lo, hi, source=source, rows=rows, when=when)
        if entries is None:
            return
        with self._files.writing():
            merged = self._log.append(entries)
            fsync_dir(self._root)
        logger.info(
            "store %s: recorded %s request(s) of %s for %s..%s in the fetch log (%s entries)",
            self._root,
            len(names),
            source,
            lo.date(),
            entries["end"][0].as_py(),
            merged.num_rows,
        )

    # -- writes --------------------------------------------------------------------------------

    def upsert(
        self, frame: pd.DataFrame | ValidatedPrices, *, origin: str = "PriceStore.upsert"
    ) -> int:
        """Insert or update rows; return how many rows were new or changed.

        A plain ``frame`` is validated with :func:`analytics.data.schema.validate_prices`
        (``origin`` names the caller in its errors); rows given as
        :class:`~analytics.data.schema.ValidatedPrices` (what sources return) were validated
        once already and are written as they are. A row replaces the stored row of the same
        ``(ticker, date)``; optional columns it leaves NaN keep their stored values. Years where
        nothing changes are not rewritten, so upserting the same rows twice is a no-op.
        """
        # Rows a source validated are trusted; any other frame is checked in full.
        if isinstance(frame, ValidatedPrices):
            clean = frame.frame
        else:
            clean = validate_prices(frame, origin=origin)
        if clean.empty:
            return 0
        table = pa.Table.from_pandas(clean, schema=SCHEMA, preserve_index=False)
        years = pc.year(table["date"]).to_numpy()
        changed_total, rewritten = 0, 0
        with self._files.writing() as snapshot:
            files = dict(snapshot.files)
            generation = snapshot.generation + 1
            for year in np.unique(years):
                part = table.filter(pa.array(years == year))
                old = files.get(int(year))
                merged, changed = (part, part.num_rows) if old is None else self._merge(old, part)
                if not changed:
                    continue
                path = self._files.data_dir / f"{int(year)}.g{generation:06d}.parquet"
                write_parquet(path, merged)
                files[int(year)] = path
                changed_total += changed
                rewritten += 1
            if rewritten:
                fsync_dir(self._files.data_dir)
                self._files.commit(Snapshot(generation, files))
                superseded = set(snapshot.files.values()) - set(files.values())
                for path in superseded:
                    path.unlink(missing_ok=True)
        logger.info(
            "store %s: upserted %s rows from %s, %s new or changed, %s year file(s) rewritten",
            self._root,
            table.num_rows,
            origin,
            changed_total,
            rewritten,
        )
        return changed_total

    def _merge(self, old: Path, new: pa.Table) -> tuple[pa.Table, int]:
        """Stored rows of one year overlaid with ``new``; and how many rows changed."""
        values = ", ".join(f'coalesce(n."{c}", o."{c}") AS "{c}"' for c in VALUES)
        differs = " OR ".join(
            f'coalesce(n."{c}", o."{c}") IS DISTINCT FROM o."{c}"' for c in VALUES
        )
        sql = (
            f"SELECT ticker, date, {values}, "
            f"n.is_new IS NOT NULL AND (o.is_old IS NULL OR {differs}) AS changed "
            f"FROM (SELECT *, true AS is_old FROM read_parquet({sql_list([old])})) AS o "
            "FULL OUTER JOIN (SELECT *, true AS is_new FROM new_rows) AS n USING (ticker, date) "
            "ORDER BY ticker, date"
        )
        try:
            with self._db.cursor() as con:
                con.register("new_rows", new)
                merged = con.sql(sql).to_arrow_table()
            changed = int(pc.sum(merged["changed"]).as_py() or 0)
            return merged.drop_columns(["changed"]).cast(SCHEMA), changed
        except (duckdb.Error, pa.ArrowException) as exc:
            raise self._files.unreadable(Snapshot(0, {0: old}), exc) from exc


def _reopen(root: Path, lock_timeout: float) -> PriceStore:
    return PriceStore(root, lock_timeout=lock_timeout)
