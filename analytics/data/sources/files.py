"""Offline market data from files: long-format data packs and per-ticker Yahoo CSV exports.

The format of each file is detected from its header:

- *long*: ``ticker, date, adj_close[, open, high, low, close, volume]`` in Parquet or CSV, as the
  shared packs in ``../shared/market-data``;
- *Yahoo export*: ``Date, Open, High, Low, Close, Adj Close, Volume``, or the newer export without
  ``Adj Close`` whose ``Close`` is already adjusted; one ticker per file, named after its Yahoo
  symbol (``NVDA.csv``, ``BRK-B.csv``).

A directory is read as the union of its ``.parquet`` and ``.csv`` files. A ticker found in several
files is taken whole from the first in name order, so one ticker's adjusted prices never mix two
downloads (adjustments change with every dividend).
"""

from __future__ import annotations

import logging
import os
import re
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from analytics.calendar import parse_date
from analytics.data.schema import (
    OPTIONAL_COLUMNS,
    PRICE_COLUMNS,
    REQUIRED_COLUMNS,
    ValidatedPrices,
    empty_prices,
    split_invalid,
    validate_prices,
)
from analytics.data.sources import SourceResult
from analytics.errors import DataError, SpecError

__all__ = ["DataPackSource", "read_pack", "split_pack"]

logger = logging.getLogger(__name__)

_SUFFIXES = (".csv", ".parquet")
_SYMBOL = re.compile(r"[A-Z0-9^][A-Z0-9.^=&-]*")
_NA_TEXT = ["", "NaN", "nan", "NA", "N/A", "null", "NULL", "None"]
_EXPECTED = (
    f"expected a long pack ({', '.join(REQUIRED_COLUMNS)}[, {', '.join(OPTIONAL_COLUMNS)}]) "
    "or a Yahoo export (Date, Open, High, Low, Close[, Adj Close], Volume)"
)


def _name(column: object) -> str:
    return str(column).strip().lower().replace(" ", "_")


def _pack_files(path: Path) -> list[Path]:
    """The data files of a pack: the path itself, or a directory's CSV and Parquet files."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(
            f"data pack {path} does not exist; pass a .parquet/.csv file or a directory"
        )
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and p.suffix.lower() in _SUFFIXES and p.name[0] != "."
    )
    if not files:
        raise DataError(f"data pack {path} holds no .parquet or .csv files")
    return files


def _check_text(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise DataError(
            f"{path}: cannot read the file ({exc.strerror or exc}); fix its permissions or "
            "remove it from the pack"
        ) from exc
    if not head.strip():
        raise DataError(f"{path}: empty file; {_EXPECTED}")
    if b"\0" in head:
        raise DataError(f"{path}: binary data, not a CSV text file; {_EXPECTED}")


def _read_csv(path: Path) -> pd.DataFrame:
    _check_text(path)
    try:
        header = pd.read_csv(path, nrows=0).columns
        keep_text = [c for c in header if _name(c) in {"ticker", "date"}]
        frame = pd.read_csv(
            path,
            dtype=dict.fromkeys(keep_text, "str"),
            keep_default_na=False,
            na_values={c: _NA_TEXT for c in header if c not in keep_text},
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc}); {_EXPECTED}") from exc
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if not isinstance(frame.index, pd.RangeIndex):
        raise DataError(
            f"{path}: rows have more fields than the header ({', '.join(map(str, header))}); "
            "fix the header or remove the extra fields"
        )
    return frame


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow prices to pandas with ``date`` as ``datetime64[ns]`` (fast to validate)."""
    if "date" in table.column_names and pa.types.is_date(table.schema.field("date").type):
        position = table.column_names.index("date")
        table = table.set_column(position, "date", table.column("date").cast(pa.timestamp("ns")))
    return table.to_pandas()


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from exc
    return _arrow_to_pandas(table.rename_columns([_name(c) for c in table.column_names]))


def _ticker_from_name(path: Path) -> str:
    ticker = path.stem.strip().upper()
    if not _SYMBOL.fullmatch(ticker):
        raise DataError(
            f"{path}: cannot take a ticker from the file name {path.name!r}; name per-ticker "
            "Yahoo exports after their Yahoo symbol, e.g. NVDA.csv or BRK-B.csv"
        )
    return ticker


def _to_long(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A raw frame in either format as a long (not yet validated) price frame."""
    found = ", ".join(map(str, frame.columns))
    frame = frame.set_axis([_name(c) for c in frame.columns], axis=1)
    if "ticker" in frame.columns:
        return frame
    if not {"date", "close"} <= set(frame.columns):
        raise DataError(f"{path}: unrecognized columns ({found}); {_EXPECTED}")
    long = pd.DataFrame({"ticker": _ticker_from_name(path), "date": frame["date"]})
    # Without "Adj Close" the export's Close is already split- and dividend-adjusted.
    long["adj_close"] = frame["adj_close"] if "adj_close" in frame.columns else frame["close"]
    for column in OPTIONAL_COLUMNS:
        if column in frame.columns:
            long[column] = frame[column]
    return long


def _read_file(path: Path) -> tuple[pd.DataFrame, int]:
    """A file's rows as a raw long frame, and the number its first row has in messages."""
    if path.suffix.lower() == ".parquet":
        frame, first_row = _read_parquet(path), 1
    else:
        frame, first_row = _read_csv(path), 2
    if frame.empty:
        raise DataError(f"{path}: no data rows; {_EXPECTED}")
    return _to_long(frame, path), first_row


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Sorted frames with disjoint tickers as one frame sorted by (ticker, date)."""
    frames = [frame for frame in frames if len(frame)]
    if len(frames) < 2:
        return frames[0] if frames else empty_prices()
    frame = pd.concat(frames, ignore_index=True)
    codes = pd.factorize(frame["ticker"], sort=True)[0]
    return frame.take(np.lexsort((frame["date"].to_numpy(), codes))).reset_index(drop=True)


def _owners(counts: list[pd.Series]) -> pd.Series:
    """Index of the file serving each ticker: the one with most rows of it, the first on ties."""
    table = pd.concat(
        [
            pd.DataFrame({"ticker": c.index.astype("str"), "rows": c.to_numpy(), "file": i})
            for i, c in enumerate(counts)
        ],
        ignore_index=True,
    )
    best = table.sort_values(["rows", "file"], ascending=[False, True], kind="stable")
    best = best.drop_duplicates("ticker")
    return pd.Series(best["file"].to_numpy(), index=best["ticker"].to_numpy(), dtype="int64")


def _load(path: Path, *, strict: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    files = _pack_files(path)
    valid, invalid = [], []
    for file in files:
        raw, first_row = _read_file(file)
        if strict:
            valid.append(validate_prices(raw, origin=str(file), first_row=first_row))
            continue
        good, bad = split_invalid(raw, origin=str(file), first_row=first_row)
        valid.append(good)
        invalid.append(bad.assign(file=str(file)))
    if len(files) > 1:
        owners = _owners([frame["ticker"].value_counts() for frame in valid])
        for index, frame in enumerate(valid):
            served = owners.reindex(frame["ticker"]).to_numpy() == index
            if not served.all():
                shadowed = frame.loc[~served, "ticker"].nunique()
                logger.info(
                    "%s: %s tickers served from another file with more rows", files[index], shadowed
                )
                valid[index] = frame.loc[served].reset_index(drop=True)
    rejected = pd.concat(invalid, ignore_index=True) if invalid else pd.DataFrame()
    if len(rejected.columns):
        rejected = rejected[["file", *rejected.columns.drop("file")]]
    return _concat(valid), rejected


def read_pack(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a data pack strictly: every row of every file must be valid.

    Parameters
    ----------
    path
        A ``.parquet``/``.csv`` file in either format (see the module docstring) or a directory
        of such files. A ticker in several files is served whole from the file with most rows of
        it (the first in name order on ties), so adjusted prices of two downloads never mix.

    Returns
    -------
    pandas.DataFrame
        Tidy prices in the schema of :mod:`analytics.data.schema`, sorted by ticker and date.

    Raises
    ------
    DataError
        For a missing path, an unreadable, binary or empty file, unrecognized columns, or an
        invalid row (naming the file, row, column and value).
    """
    return _load(Path(path), strict=True)[0]


def split_pack(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a data pack leniently: skip invalid rows instead of raising.

    Parameters
    ----------
    path
        As for :func:`read_pack`. Unreadable files and unrecognized columns still raise
        :class:`DataError`.

    Returns
    -------
    valid : pandas.DataFrame
        The valid rows, as :func:`read_pack` returns them.
    invalid : pandas.DataFrame
        The skipped rows as given, with ``file``, ``row`` and ``reason``.
    """
    return _load(Path(path), strict=False)


class _ParquetFile:
    """One long-format Parquet file queried through a cached ``pyarrow.dataset``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def dataset(self) -> ds.Dataset:
        try:
            dataset = ds.dataset(self.path, format="parquet")
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{self.path}: not a readable Parquet file ({exc})") from exc
        absent = [c for c in REQUIRED_COLUMNS if c not in dataset.schema.names]
        if absent:
            raise DataError(
                f"{self.path}: missing column(s) {', '.join(absent)}; found "
                f"{', '.join(dataset.schema.names)}. A data pack's Parquet files are long "
                f"format: {', '.join(REQUIRED_COLUMNS)}[, {', '.join(OPTIONAL_COLUMNS)}]"
            )
        return dataset

    @cached_property
    def counts(self) -> pd.Series:
        """Rows per ticker."""
        column = self.dataset.to_table(columns=["ticker"]).column("ticker")
        counts = pc.value_counts(column).flatten()
        return pd.Series(counts[1].to_numpy(), index=counts[0].to_pylist(), dtype="int64")

    def rows(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        schema = self.dataset.schema
        date_type = schema.field("date").type
        bounds: tuple[object, object] = (start.date(), end.date())
        if not pa.types.is_date(date_type):
            bounds = (start.to_pydatetime(), end.to_pydatetime())
        lo, hi = (pa.scalar(b, type=date_type) for b in bounds)
        date = ds.field("date")
        table = self.dataset.to_table(
            columns=[c for c in PRICE_COLUMNS if c in schema.names],
            filter=ds.field("ticker").isin(tickers) & (date >= lo) & (date <= hi),
        )
        return _arrow_to_pandas(table)


class _TextFile:
    """One CSV file (long or Yahoo export), read and validated once, then kept in memory.

    Its invalid rows are logged when it is read; the tickers they name still count as present.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @cached_property
    def _split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        raw, first_row = _read_file(self.path)
        valid, invalid = split_invalid(raw, origin=str(self.path), first_row=first_row)
        if len(invalid):
            logger.warning(
                "%s: skipped %s invalid rows (first: row %s, %s)",
                self.path,
                len(invalid),
                invalid["row"].iloc[0],
                invalid["reason"].iloc[0],
            )
        return valid, invalid

    @cached_property
    def counts(self) -> pd.Series:
        """Rows per ticker, invalid rows included."""
        valid, invalid = self._split
        named = invalid["ticker"].dropna().astype("str").str.strip().str.upper()
        return pd.concat([valid["ticker"], named[named != ""]]).value_counts()

    def rows(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        frame = self._split[0]
        keep = frame["ticker"].isin(tickers) & frame["date"].between(start, end)
        return frame.loc[keep.to_numpy()]


def _open(path: Path) -> _ParquetFile | _TextFile:
    if path.suffix.lower() == ".parquet":
        return _ParquetFile(path)
    _check_text(path)
    return _TextFile(path)


class DataPackSource:
    """A :class:`~analytics.data.sources.Source` over a data pack (a file or a directory of files).

    Parquet files are queried with ``pyarrow.dataset`` filters on ticker and date, so a call reads
    only the row groups it needs; CSV files are read once and kept in memory. Invalid rows (e.g.
    negative adjusted prices) are dropped with a warning. Files are assumed not to change while
    the source lives.

    Parameters
    ----------
    path
        The pack: a ``.parquet``/``.csv`` file or a directory of them.

    Examples
    --------
    >>> pack = DataPackSource("market-data")  # doctest: +SKIP
    >>> pack.get(["NVDA"], pd.Timestamp("2025-01-24"), pd.Timestamp("2025-01-27"))  # doctest: +SKIP
    """

    name = "data pack"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._files = [_open(file) for file in _pack_files(self.path)]

    @cached_property
    def _owners(self) -> dict[str, int]:
        """The index of the file serving each ticker (see :func:`read_pack`)."""
        owners = _owners([file.counts for file in self._files])
        return dict(zip(owners.index.astype("str"), owners.to_numpy().tolist(), strict=True))

    def available_tickers(self) -> list[str]:
        """All tickers in the pack, sorted."""
        return sorted(self._owners)

    def get(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> SourceResult:
        """Daily prices of ``tickers`` for dates in ``[start, end]`` (inclusive).

        Tickers the pack cannot serve are in ``missing`` with the reason: not in the pack, or no
        (valid) prices in the range.
        """
        start, end = parse_date(start, name="start"), parse_date(end, name="end")
        if start > end:
            raise SpecError(f"start: {start.date()} is after end {end.date()}; swap them")
        wanted = list(dict.fromkeys(str(t).strip().upper() for t in tickers))
        missing = {t: f"not in data pack {self.path}" for t in wanted if t not in self._owners}
        by_file: dict[int, list[str]] = {}
        for ticker in wanted:
            if ticker in self._owners:
                by_file.setdefault(self._owners[ticker], []).append(ticker)
        raw = [self._files[i].rows(names, start, end) for i, names in sorted(by_file.items())]
        frame = pd.concat(raw, ignore_index=True) if raw else empty_prices()
        valid, invalid = ValidatedPrices.split(frame, origin=f"data pack {self.path}")
        prices = valid.frame
        if len(invalid):
            logger.warning(
                "data pack %s: dropped %s invalid rows of %s tickers (%s)",
                self.path,
                len(invalid),
                invalid["ticker"].nunique(),
                invalid["reason"].value_counts().to_dict(),
            )
        span = f"between {start.date()} and {end.date()}"
        served = set(prices["ticker"].unique())
        dropped = invalid["ticker"].value_counts().to_dict() if len(invalid) else {}
        unserved = [t for t in wanted if t not in missing and t not in served]
        missing |= {t: f"no prices in data pack {span}" for t in unserved if t not in dropped}
        missing |= {
            t: f"no prices in data pack {span} ({dropped[t]} invalid rows dropped)"
            for t in unserved
            if t in dropped
        }
        logger.info(
            "data pack %s: %s rows for %s of %s tickers %s",
            self.path,
            len(prices),
            len(served),
            len(wanted),
            span,
        )
        return SourceResult.of_valid(valid, missing)
