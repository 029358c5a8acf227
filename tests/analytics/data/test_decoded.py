"""The decoded-file cache behind PriceStore.panel: the same cells as a pandas pivot of the
stored rows, whatever their order; a write is seen at once; damaged files are one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.calendar import sessions
from analytics.data import decoded
from analytics.data.store import PriceStore
from analytics.errors import StoreError
from tests.support import DEEPSEEK_PACK


def _pivot(rows: pd.DataFrame, tickers: list[str], start: str, end: str) -> pd.DataFrame:
    grid = sessions(start, end)
    wide = rows.pivot_table(index="date", columns="ticker", values="adj_close", aggfunc="last")
    expected = wide.reindex(index=grid, columns=tickers).astype("float64")
    expected.columns = pd.Index(tickers, name="ticker", dtype="str")
    return expected


def test_random_panels_of_the_pack_equal_a_pivot(tmp_path: Path) -> None:
    rows = pd.read_parquet(DEEPSEEK_PACK, columns=["ticker", "date", "adj_close"])
    rows["date"] = pd.to_datetime(rows["date"]).astype("datetime64[ns]")
    store = PriceStore(tmp_path / "store")
    store.upsert(rows)
    names = sorted(rows["ticker"].unique())
    rng = np.random.default_rng(5)
    for _ in range(20):
        wanted = [*rng.choice(names, size=int(rng.integers(1, 40)), replace=False), "NOPE"]
        first = pd.Timestamp("2018-03-01") + pd.Timedelta(days=int(rng.integers(0, 2500)))
        last = first + pd.Timedelta(days=int(rng.integers(0, 900)))
        start, end = f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"
        for attempt in ("cold", "warm"):
            if attempt == "cold":
                decoded.clear()
            got = store.panel(wanted, start, end)
            pd.testing.assert_frame_equal(got, _pivot(rows, wanted, start, end), obj=attempt)


def test_rows_in_any_order_are_decoded_by_ticker_and_date(tmp_path: Path) -> None:
    days = sessions("2025-01-02", "2025-01-31")
    table = pa.table(
        {
            "ticker": ["BBB", "AAA", "BBB", "AAA"] * 5,
            "date": pa.array(np.repeat(days.values[:10], 2).astype("datetime64[D]"), pa.date32()),
            "adj_close": np.arange(20, dtype=float),
        }
    )
    path = tmp_path / "2025.g000001.parquet"
    pq.write_table(table.take(np.random.default_rng(1).permutation(20)), path)
    found = decoded.DecodedFile.read(path)
    cols, dates, prices = found.cells(["AAA", "NOPE", "BBB"], days.values[2], days.values[5])
    frame = table.to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    inside = frame[frame["date"].between(days[2], days[5])]
    expected = inside.sort_values(["ticker", "date"])
    assert cols.tolist() == [0] * (len(expected) // 2) + [2] * (len(expected) // 2)
    np.testing.assert_array_equal(prices, expected["adj_close"].to_numpy())
    np.testing.assert_array_equal(dates, expected["date"].to_numpy().astype("datetime64[D]"))


def test_a_write_is_seen_by_the_next_panel(tmp_path: Path) -> None:
    days = sessions("2025-01-02", "2025-01-10")
    store = PriceStore(tmp_path / "store")
    store.upsert(pd.DataFrame({"ticker": "AAA", "date": days, "adj_close": 1.0}))
    assert (store.panel("AAA", days[0], days[-1])["AAA"] == 1.0).all()  # now decoded and cached
    store.upsert(pd.DataFrame({"ticker": "AAA", "date": days[-2:], "adj_close": 2.0}))
    assert store.panel("AAA", days[0], days[-1])["AAA"].tolist()[-3:] == [1.0, 2.0, 2.0]


def test_the_cache_keeps_within_its_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded.clear()
    paths = []
    for year in (2021, 2022, 2023):
        days = sessions(f"{year}-01-04", f"{year}-03-31")
        path = tmp_path / f"{year}.g000001.parquet"
        table = pa.table(
            {
                "ticker": pa.array(["AAA"] * len(days), pa.string()),
                "date": pa.array(days.date, pa.date32()),
                "adj_close": np.ones(len(days)),
            }
        )
        pq.write_table(table, path)
        paths.append(path)
    one = decoded.decoded(paths[0]).nbytes
    monkeypatch.setattr(decoded, "CACHE_BYTES", 2 * one + 1)
    for path in paths:
        decoded.decoded(path)
    assert [Path(key[0]) for key in decoded._cache] == paths[1:]  # the oldest dropped
    decoded.decoded(paths[1])  # now the most recent
    decoded.shrink(one + 1)
    assert [Path(key[0]) for key in decoded._cache] == [paths[1]]
    decoded.shrink(0)
    assert [Path(key[0]) for key in decoded._cache] == [paths[1]]  # the most recent stays
    decoded.clear()


def test_a_damaged_file_is_one_store_error(tmp_path: Path) -> None:
    days = sessions("2025-01-02", "2025-01-10")
    store = PriceStore(tmp_path / "store")
    store.upsert(pd.DataFrame({"ticker": "AAA", "date": days, "adj_close": 1.0}))
    (path,) = store.files()
    path.write_bytes(b"not parquet at all")
    decoded.clear()
    with pytest.raises(StoreError, match=f"store file {path} cannot be read"):
        store.panel("AAA", days[0], days[-1])


def test_a_warm_panel_is_a_copy_the_caller_may_change(tmp_path: Path) -> None:
    days = sessions("2025-01-02", "2025-01-10")
    store = PriceStore(tmp_path / "store")
    store.upsert(pd.DataFrame({"ticker": ["AAA"] * len(days), "date": days, "adj_close": 1.0}))
    decoded.clear()
    first = store.panel(["AAA", "BBB"], days[0], days[-1])
    assert len(decoded._panels) == 1
    first.iloc[:, :] = 5.0
    again = store.panel(["AAA", "BBB"], days[0], days[-1])
    assert len(decoded._panels) == 1  # served from the cache
    assert again["AAA"].tolist() == [1.0] * len(days) and again["BBB"].isna().all()
    store.panel(["BBB", "AAA"], days[0], days[-1])  # other columns: another panel
    store.panel(["AAA", "BBB"], days[1], days[-1])  # other sessions: another panel
    assert len(decoded._panels) == 3
    decoded.shrink(2**40)
    assert not decoded._panels  # shrinking forgets the panels


def test_the_panels_keep_within_their_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = sessions("2025-01-02", "2025-03-31")
    store = PriceStore(tmp_path / "store")
    store.upsert(pd.DataFrame({"ticker": ["AAA"] * len(days), "date": days, "adj_close": 1.0}))
    decoded.clear()
    monkeypatch.setattr(decoded, "PANEL_CACHE_BYTES", 2 * 8 * len(days))
    for name in ("A1", "A2", "A3"):
        store.panel(["AAA", name], days[0], days[-1])
    assert [key[1] for key in decoded._panels] == [("AAA", "A3")]  # 2 columns each: one fits
    decoded.clear()
