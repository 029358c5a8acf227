"""Decoded data files kept in memory, so that a warm panel read is a numpy gather.

A data file never changes once written: a write commits a new generation under a new name
(:mod:`analytics.data.snapshot`). Its adjusted closes are therefore decoded once per process and
kept, keyed by path, file size and modification time, the least recently used dropped first
beyond :data:`CACHE_BYTES` (16 bytes per stored row: the US pack's 20 million rows take 0.3 GiB).
The wide panels gathered from them are kept too (:func:`panel_values`, up to
:data:`PANEL_CACHE_BYTES`), keyed by the files, the tickers and the sessions: a repeated study
reads its prices in one copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = [
    "CACHE_BYTES",
    "PANEL_CACHE_BYTES",
    "DecodedFile",
    "clear",
    "decoded",
    "locate",
    "panel_values",
    "shrink",
]

CACHE_BYTES: Final = 2 * 2**30
"""Memory the decoded files of a process may take."""
PANEL_CACHE_BYTES: Final = 256 * 2**20
"""Memory the wide panels of a process may take (a 1,000-firm year takes 2 MiB)."""

_DAY_BIAS: Final = 2**31  # days since 1970 as a non-negative low half of the key


@dataclass(frozen=True, eq=False)
class DecodedFile:
    """The ``ticker, date, adj_close`` rows of one data file, sorted by ticker and date.

    ``keys`` are ``ticker number << 32 | (days since 1970 + 2**31)``, sorted; ``index`` maps a
    ticker to its number.
    """

    index: dict[str, int]
    keys: np.ndarray
    adj_close: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.adj_close.nbytes) + 100 * len(self.index)

    @classmethod
    def read(cls, path: Path) -> DecodedFile:
        """Decode ``path`` (any row order)."""
        table = pq.read_table(path, columns=["ticker", "date", "adj_close"])
        expected = {"ticker": pa.string(), "date": pa.date32(), "adj_close": pa.float64()}
        for name, kind in expected.items():
            if table.schema.field(name).type != kind:
                raise ValueError(f"{path}: column {name} is {table.schema.field(name).type}")
        tickers = pc.dictionary_encode(table["ticker"].combine_chunks())
        codes = tickers.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        days = table["date"].combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
        keys = (codes << 32) | (days.astype(np.int64) + _DAY_BIAS)
        prices = table["adj_close"].combine_chunks().to_numpy(zero_copy_only=False)
        prices = np.asarray(prices, dtype=np.float64)
        if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
            order = np.argsort(keys, kind="stable")
            keys, prices = keys[order], prices[order]
        names = tickers.dictionary.to_pylist()
        return cls(index={name: i for i, name in enumerate(names)}, keys=keys, adj_close=prices)

    def cells(
        self, names: Sequence[str], first: np.datetime64, last: np.datetime64
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(column, day, adj_close)`` of every row of ``names`` (column = position in
        ``names``) dated within ``[first, last]`` (``datetime64[D]``), in key order."""
        codes = np.fromiter((self.index.get(n, -1) for n in names), np.int64, len(names))
        found = np.flatnonzero(codes >= 0)
        base = codes[found] << 32
        lo = int(first.astype("datetime64[D]").astype(np.int64)) + _DAY_BIAS
        hi = int(last.astype("datetime64[D]").astype(np.int64)) + _DAY_BIAS
        start = np.searchsorted(self.keys, base + lo)
        stop = np.searchsorted(self.keys, base + hi, side="right")
        lengths = stop - start
        # Row positions of every segment, concatenated: no loop over tickers.
        ends = np.cumsum(lengths)
        rows = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(
            start - ends + lengths, lengths
        )
        days = ((self.keys[rows] & 0xFFFFFFFF) - _DAY_BIAS).astype("datetime64[D]")
        return np.repeat(found, lengths), days, self.adj_close[rows]


def locate(grid: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Position of each day in the sorted ``grid`` (``datetime64[D]``), -1 where absent."""
    if len(grid) == 0:
        return np.full(len(days), -1)
    pos = np.searchsorted(grid, days)
    hit = grid[np.minimum(pos, len(grid) - 1)] == days
    return np.where(hit, pos, -1)


_cache: OrderedDict[tuple[str, int, int], DecodedFile] = OrderedDict()
_PanelKey = tuple[tuple[int, ...], tuple[str, ...], int, int]
_panels: OrderedDict[_PanelKey, tuple[list[DecodedFile], np.ndarray]] = OrderedDict()
_lock = threading.Lock()


def decoded(path: Path) -> DecodedFile:
    """The decoded rows of the data file ``path``, from the process cache when warm."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    fresh = DecodedFile.read(path)
    with _lock:
        _cache[key] = fresh
        total = sum(f.nbytes for f in _cache.values())
        while total > CACHE_BYTES and len(_cache) > 1:
            _, dropped = _cache.popitem(last=False)
            total -= dropped.nbytes
            _panels.clear()  # they hold the dropped file
    return fresh


def panel_values(
    files: Sequence[DecodedFile], names: Sequence[str], days: np.ndarray
) -> np.ndarray:
    """Adjusted closes of ``names`` (columns) on the sessions ``days`` (rows, ``datetime64[D]``,
    sorted) from ``files``, NaN where none is stored; read-only, from the process cache when warm.

    >>> import numpy as np
    >>> panel_values([], ["AAA"], np.array(["2025-01-02"], "datetime64[D]"))
    array([[nan]])
    """
    # A key holds the files' identities; its entry holds the files, so no identity is reused.
    key = (tuple(id(f) for f in files), tuple(names), int(days[0].astype(np.int64)), len(days))
    with _lock:
        hit = _panels.get(key)
        if hit is not None:
            _panels.move_to_end(key)
            return hit[1]
    values = np.full((len(days), len(names)), np.nan)
    for file in files:
        cols, dates, prices = file.cells(names, days[0], days[-1])
        rows = locate(days, dates)
        found = rows >= 0
        values[rows[found], cols[found]] = prices[found]
    values.flags.writeable = False
    with _lock:
        _panels[key] = (list(files), values)
        total = sum(v.nbytes for _, v in _panels.values())
        while total > PANEL_CACHE_BYTES and len(_panels) > 1:
            _, (_, dropped) = _panels.popitem(last=False)
            total -= dropped.nbytes
    return values


def shrink(limit: int) -> None:
    """Drop the least recently used decoded files until the rest take at most ``limit`` bytes
    (the most recent file stays): the out-of-core engine, which reads its chunks in date
    order, never needs an older year again."""
    with _lock:
        total = sum(f.nbytes for f in _cache.values())
        while total > limit and len(_cache) > 1:
            _, dropped = _cache.popitem(last=False)
            total -= dropped.nbytes
        _panels.clear()


def clear() -> None:
    """Forget every decoded file (tests; memory)."""
    with _lock:
        _cache.clear()
        _panels.clear()
