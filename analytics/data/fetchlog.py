"""The store's fetch log: which sessions of which tickers were already asked of which source.

A source that had nothing for a range (pre-IPO, delisted, a symbol it does not know) is not asked
again for it. Only sessions at least :data:`SETTLE_DAYS` older than a request are recorded as
settled, because sources publish a session's close late and answer nothing for a session still
trading. The log is one small Parquet file, ``fetch_log.parquet`` in the store directory, written
atomically under the store's writer lock (the caller, :class:`analytics.data.store.PriceStore`,
holds it); adjacent or overlapping ranges of one ticker and source are merged on every write.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from analytics.atomic import write_atomic
from analytics.calendar import sessions
from analytics.errors import StoreError

__all__ = ["FETCH_LOG_FILE", "SETTLE_DAYS", "FetchLog", "interval_mask", "write_parquet"]

FETCH_LOG_FILE = "fetch_log.parquet"
"""Name of the log in the store directory."""

SETTLE_DAYS = 7
"""An empty answer settles only the sessions at least this many days older than the request."""

ROW_GROUP_ROWS = 65_536

_SCHEMA = pa.schema(
    [
        ("ticker", pa.string()),
        ("source", pa.string()),
        ("start", pa.date32()),
        ("end", pa.date32()),
        ("rows", pa.int64()),
        ("fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write ``table`` to ``path`` atomically (zstd, 64k-row groups)."""
    write_atomic(
        path,
        lambda handle: pq.write_table(
            table, handle, compression="zstd", row_group_size=ROW_GROUP_ROWS
        ),
    )


def interval_mask(
    rows: np.ndarray, first: np.ndarray, last: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Boolean matrix that is True on ``[first, last]`` of each given row (inclusive columns).

    >>> interval_mask(np.array([0]), np.array([1]), np.array([2]), (1, 4)).tolist()
    [[False, True, True, False]]
    """
    marks = np.zeros((shape[0], shape[1] + 1), dtype=np.int32)
    np.add.at(marks, (rows, first), 1)
    np.add.at(marks, (rows, last + 1), -1)
    return np.cumsum(marks, axis=1)[:, :-1] > 0


class FetchLog:
    """The fetch log file at ``path`` (reads need no lock; :meth:`append` needs the writer's)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def table(self) -> pa.Table:
        """The log as stored (empty when there is none yet)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _SCHEMA.empty_table()
        except OSError as exc:
            raise StoreError(
                f"store {self.path.parent}: cannot read {self.path} ({exc.strerror}); "
                "check the directory's permissions"
            ) from exc
        try:
            return pq.read_table(pa.BufferReader(raw)).cast(_SCHEMA)
        except (pa.ArrowException, ValueError) as exc:
            raise StoreError(
                f"store fetch log {self.path} is damaged ({exc}); delete it: only the "
                "memory of past requests is lost, and those ranges will be asked again"
            ) from exc

    def frame(self) -> pd.DataFrame:
        """The log as ``ticker, source, start, end, rows, fetched_at``."""
        frame = self.table().to_pandas()
        for column in ("ticker", "source"):
            frame[column] = frame[column].astype("str")
        for column in ("start", "end"):
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
        return frame

    def settled(self, names: list[str], days: np.ndarray, source: str | None) -> np.ndarray:
        """Matrix (ticker x day) of sessions already asked of ``source`` (any source if None)."""
        log = self.table()
        if source is not None:
            log = log.filter(pc.equal(log["source"], source))
        row = pd.Index(names).get_indexer(log["ticker"].to_numpy(zero_copy_only=False))
        a = np.searchsorted(days, log["start"].to_numpy(zero_copy_only=False))
        b = np.searchsorted(days, log["end"].to_numpy(zero_copy_only=False), side="right") - 1
        keep = (row >= 0) & (a <= b)
        return interval_mask(row[keep], a[keep], b[keep], (len(names), len(days)))

    @staticmethod
    def entries(
        names: list[str],
        lo: pd.Timestamp,
        hi: pd.Timestamp,
        *,
        source: str,
        rows: Mapping[str, int] | None = None,
        when: pd.Timestamp | None = None,
    ) -> pa.Table | None:
        """Log entries of one request, or None when none of its sessions is settled yet."""
        now = pd.Timestamp.now(tz="UTC") if when is None else pd.Timestamp(when)
        now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
        cutoff = now.tz_localize(None).normalize() - pd.Timedelta(days=SETTLE_DAYS)
        hi = min(hi, cutoff)
        if lo > hi or not names:
            return None
        counts = rows or {}
        return pa.table(
            {
                "ticker": pa.array(names, pa.string()),
                "source": pa.array([source] * len(names), pa.string()),
                "start": pa.array([lo.date()] * len(names), pa.date32()),
                "end": pa.array([hi.date()] * len(names), pa.date32()),
                "rows": pa.array([int(counts.get(t, 0)) for t in names], pa.int64()),
                "fetched_at": pa.array(
                    [now.to_pydatetime()] * len(names), _SCHEMA.field("fetched_at").type
                ),
            }
        )

    def append(self, entries: pa.Table) -> pa.Table:
        """Merge ``entries`` into the log and write it; the caller holds the writer lock."""
        merged = _compact(pa.concat_tables([self.table(), entries]))
        write_parquet(self.path, merged)
        return merged


def _compact(log: pa.Table) -> pa.Table:
    """Merge overlapping or adjacent settled ranges of the same ticker and source."""
    frame = log.to_pandas()
    if frame.empty:
        return log
    first = np.datetime64(frame["start"].min(), "D")
    last = np.datetime64(frame["end"].max(), "D")
    days = sessions(pd.Timestamp(first), pd.Timestamp(last)).values.astype("datetime64[D]")
    frame["a"] = np.searchsorted(days, frame["start"].to_numpy().astype("datetime64[D]"))
    frame["b"] = (
        np.searchsorted(days, frame["end"].to_numpy().astype("datetime64[D]"), side="right") - 1
    )
    frame = frame[frame["a"] <= frame["b"]].sort_values(["ticker", "source", "a", "b"])
    key = frame["ticker"] + "\0" + frame["source"]
    reach = frame.groupby(key, sort=False)["b"].cummax()
    previous_reach = reach.groupby(key, sort=False).shift(1)
    opens = (key != key.shift(1)) | (frame["a"] > previous_reach + 1)
    group = opens.cumsum()
    merged = frame.groupby(group, sort=True).agg(
        ticker=("ticker", "first"),
        source=("source", "first"),
        a=("a", "min"),
        b=("b", "max"),
        rows=("rows", "sum"),
        fetched_at=("fetched_at", "max"),
    )
    return pa.table(
        {
            "ticker": pa.array(merged["ticker"].to_numpy(dtype=object), pa.string()),
            "source": pa.array(merged["source"].to_numpy(dtype=object), pa.string()),
            "start": pa.array(days[merged["a"].to_numpy()], pa.date32()),
            "end": pa.array(days[merged["b"].to_numpy()], pa.date32()),
            "rows": pa.array(merged["rows"].to_numpy(), pa.int64()),
            "fetched_at": pa.array(merged["fetched_at"], _SCHEMA.field("fetched_at").type),
        }
    )
