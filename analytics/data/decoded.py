"""Decoded data files kept in memory, so that a warm panel read is a numpy gather.

A data file never changes once written: a write commits a new generation under a new name
(:mod:`analytics.data.snapshot`). Its adjusted closes are therefore decoded once per process and
kept, keyed by path, file size and modification time, the least recently used dropped first
beyond :data:`CACHE_BYTES` (16 bytes per stored row: the US pack's 20 million rows take 0.3 GiB).
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

__all__ = ["CACHE_BYTES", "DecodedFile", "clear", "decoded", "shrink"]

CACHE_BYTES: Final = 2 * 2**30
"""Memory the decoded files of a process may take."""

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


_cache: OrderedDict[tuple[str, int, int], DecodedFile] = OrderedDict()
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
    return fresh


def shrink(limit: int) -> None:
    """Drop the least recently used decoded files until the rest take at most ``limit`` bytes
    (the most recent file stays): the out-of-core engine, which reads its chunks in date
    order, never needs an older year again."""
    with _lock:
        total = sum(f.nbytes for f in _cache.values())
        while total > limit and len(_cache) > 1:
            _, dropped = _cache.popitem(last=False)
            total -= dropped.nbytes


def clear() -> None:
    """Forget every decoded file (tests; memory)."""
    with _lock:
        _cache.clear()
