"""PriceStore on hand-made data, checked against pandas computations of the same answers."""

from __future__ import annotations

import errno
import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from filelock import FileLock

from analytics.calendar import sessions
from analytics.data.sources.files import read_pack
from analytics.data.store import PriceStore
from analytics.errors import DataError, SpecError, StoreError
from tests.support import DEEPSEEK_PACK

START, END = "2024-11-01", "2025-02-28"


def _frame() -> pd.DataFrame:
    """AAA on every session; BBB with a 2-session and a 10-session hole and a Saturday row."""
    days = sessions(START, END)
    aaa = pd.DataFrame({"ticker": "AAA", "date": days, "adj_close": 100.0 + np.arange(len(days))})
    keep = np.ones(len(days), bool)
    keep[[20, 21]] = False
    keep[40:50] = False
    bbb = pd.DataFrame(
        {"ticker": "BBB", "date": days[keep], "adj_close": 50.0 + np.arange(keep.sum()) / 4}
    )
    saturday = pd.DataFrame(
        {"ticker": ["BBB"], "date": [pd.Timestamp("2024-12-28")], "adj_close": [1.0]}
    )
    irx = pd.DataFrame({"ticker": "^IRX", "date": days[:5], "adj_close": [-0.1, 0, 0.1, 4.2, 4.3]})
    frame = pd.concat([bbb, saturday, irx, aaa], ignore_index=True)
    frame["volume"] = np.where(frame["ticker"] == "AAA", 1e6, np.nan)
    return frame


@pytest.fixture
def frame() -> pd.DataFrame:
    return _frame()


@pytest.fixture
def store(tmp_path: Path, frame: pd.DataFrame) -> PriceStore:
    store = PriceStore(tmp_path / "store")
    assert store.upsert(frame) == len(frame)
    return store


def _expected_long(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame[["ticker", "date", *columns]].sort_values(["ticker", "date"], ignore_index=True)
    return out.astype({"ticker": "str", "date": "datetime64[ns]"})


def test_prices_round_trip_every_row(store: PriceStore, frame: pd.DataFrame) -> None:
    got = store.prices(columns=("adj_close", "volume"))
    pd.testing.assert_frame_equal(got, _expected_long(frame, ["adj_close", "volume"]))


def test_prices_filters_tickers_and_dates(store: PriceStore, frame: pd.DataFrame) -> None:
    got = store.prices(["bbb", "^IRX", "NOPE"], "2024-11-05", "2025-01-10")
    mask = frame["ticker"].isin(["BBB", "^IRX"]) & frame["date"].between("2024-11-05", "2025-01-10")
    pd.testing.assert_frame_equal(got, _expected_long(frame[mask], ["adj_close"]))
    assert store.prices("NOPE").empty
    assert list(store.prices([], START, END).columns) == ["ticker", "date", "adj_close"]


def test_panel_matches_pandas_pivot(store: PriceStore, frame: pd.DataFrame) -> None:
    order = ["BBB", "NOPE", "AAA"]
    got = store.panel(order, "2024-12-20", "2025-01-31")
    grid = sessions("2024-12-20", "2025-01-31")
    expected = (
        frame.pivot(index="date", columns="ticker", values="adj_close")
        .reindex(index=grid, columns=order)
        .astype("float64")
    )
    expected.columns = pd.Index(order, name="ticker", dtype="str")
    pd.testing.assert_frame_equal(got, expected)
    assert pd.Timestamp("2024-12-28") not in got.index  # the Saturday row is ignored
    assert got["NOPE"].isna().all()


def test_panel_outside_stored_years_is_all_nan(store: PriceStore) -> None:
    got = store.panel(["AAA"], "2019-01-02", "2019-01-31")
    assert got.shape == (len(sessions("2019-01-02", "2019-01-31")), 1)
    assert got["AAA"].isna().all()


def test_coverage_matches_groupby(store: PriceStore, frame: pd.DataFrame) -> None:
    expected = (
        frame.groupby("ticker")["date"]
        .agg(first="min", last="max", rows="count")
        .reset_index()
        .astype({"ticker": "str", "rows": "int64"})
    )
    pd.testing.assert_frame_equal(store.coverage(), expected)
    some = store.coverage(["ZZZ", "AAA"], start="2025-01-01")
    assert some["ticker"].tolist() == ["AAA", "ZZZ"]
    in_2025 = frame[(frame["ticker"] == "AAA") & (frame["date"] >= "2025-01-01")]
    assert some["rows"].tolist() == [len(in_2025), 0]
    assert pd.isna(some["first"].iloc[1])
    assert store.tickers() == ["AAA", "BBB", "^IRX"]


def test_new_values_win_and_missing_optionals_keep_stored_values(
    store: PriceStore, frame: pd.DataFrame
) -> None:
    update = frame[frame["ticker"] == "AAA"].head(3).drop(columns="volume")
    update = update.assign(adj_close=update["adj_close"] * 2)
    extra = pd.DataFrame({"ticker": ["CCC"], "date": ["2025-01-02"], "adj_close": [7.0]})
    unchanged = frame[frame["ticker"] == "BBB"].head(4)
    assert store.upsert(pd.concat([update, extra, unchanged])) == 4
    got = store.prices(["AAA", "CCC"], columns=("adj_close", "volume"))
    first = got[got["ticker"] == "AAA"].head(3)
    np.testing.assert_allclose(first["adj_close"], update["adj_close"])
    np.testing.assert_allclose(first["volume"], 1e6)  # NaN in the update keeps the stored value
    assert got[got["ticker"] == "CCC"]["adj_close"].tolist() == [7.0]


def test_reimport_is_idempotent(store: PriceStore, frame: pd.DataFrame) -> None:
    files = store.files()
    stamps = [(p.stat().st_mtime_ns, p.read_bytes()) for p in files]
    before = store.prices(columns=("adj_close", "volume"))
    assert store.upsert(frame.sample(frac=1, random_state=1)) == 0
    assert store.files() == files
    assert [(p.stat().st_mtime_ns, p.read_bytes()) for p in files] == stamps
    pd.testing.assert_frame_equal(store.prices(columns=("adj_close", "volume")), before)


def test_upsert_rewrites_only_touched_years(store: PriceStore) -> None:
    old = {p.name[:4]: p for p in store.files()}
    assert sorted(old) == ["2024", "2025"]
    store.upsert(pd.DataFrame({"ticker": ["AAA"], "date": ["2025-02-03"], "adj_close": [1.5]}))
    new = {p.name[:4]: p for p in store.files()}
    assert new["2024"] == old["2024"] and new["2025"] != old["2025"]
    assert not old["2025"].exists()  # superseded files are removed after the commit


def test_files_are_one_plain_parquet_dataset(store: PriceStore, frame: pd.DataFrame) -> None:
    table = ds.dataset(store.root / "prices", format="parquet").to_table()
    assert table.num_rows == len(frame)
    assert set(table.column_names) >= {"ticker", "date", "adj_close"}


def test_missing_ranges_edges_holes_and_unknown(store: PriceStore) -> None:
    got = store.missing_ranges(["BBB", "AAA", "NEW"], "2024-10-01", "2025-03-31", max_hole=5)
    # BBB: the 2-session hole (2024-12-02, 12-03) is a halt (ignored); the 10-session hole
    # 2024-12-31..2025-01-15 (2025-01-09 was a market closure) is refetched.
    expected = pd.DataFrame(
        {
            "ticker": ["BBB", "BBB", "BBB", "AAA", "AAA", "NEW"],
            "start": pd.to_datetime(
                ["2024-10-01", "2024-12-31", "2025-03-03", "2024-10-01", "2025-03-03", "2024-10-01"]
            ),
            "end": pd.to_datetime(
                ["2024-10-31", "2025-01-15", "2025-03-31", "2024-10-31", "2025-03-31", "2025-03-31"]
            ),
        }
    ).astype({"ticker": "str", "start": "datetime64[ns]", "end": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected)
    strict = store.missing_ranges(["BBB"], START, END, max_hole=0)
    assert strict["start"].tolist() == [pd.Timestamp("2024-12-02"), pd.Timestamp("2024-12-31")]


def test_missing_ranges_inside_coverage_is_empty(store: PriceStore) -> None:
    assert store.missing_ranges(["AAA"], "2024-12-01", "2025-01-31").empty
    assert store.missing_ranges(["AAA"], "2024-12-25", "2024-12-25").empty  # a holiday


def test_fetch_log_settles_old_ranges_per_source(store: PriceStore) -> None:
    when = pd.Timestamp("2025-04-04", tz="UTC")
    store.record_fetch(["NEW"], "2024-10-01", "2025-03-31", source="pack", when=when)
    log = store.fetch_log()
    # Only sessions at least a week before the request count as settled.
    assert log[["ticker", "source"]].values.tolist() == [["NEW", "pack"]]
    assert log["end"].iloc[0] == pd.Timestamp("2025-03-28")
    for_pack = store.missing_ranges(["NEW"], "2024-10-01", "2025-03-31", source="pack")
    assert for_pack["start"].tolist() == for_pack["end"].tolist() == [pd.Timestamp("2025-03-31")]
    for_yahoo = store.missing_ranges(["NEW"], "2024-10-01", "2025-03-31", source="yahoo")
    assert for_yahoo["start"].tolist() == [pd.Timestamp("2024-10-01")]


def test_fetch_log_merges_adjacent_requests(store: PriceStore) -> None:
    when = pd.Timestamp("2026-01-01", tz="UTC")
    store.record_fetch(["X", "Y"], "2025-01-02", "2025-01-10", source="s", rows={"X": 3}, when=when)
    store.record_fetch(["X"], "2025-01-13", "2025-01-17", source="s", rows={"X": 2}, when=when)
    # 2025-01-20 is a holiday, so 01-21 follows 01-17; 01-22 is never asked.
    store.record_fetch(["X"], "2025-01-21", "2025-01-21", source="s", when=when)
    store.record_fetch(["X"], "2025-01-23", "2025-01-31", source="s", when=when)
    log = store.fetch_log()
    assert log[["ticker", "start", "end", "rows"]].values.tolist() == [
        ["X", pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-21"), 5],
        ["X", pd.Timestamp("2025-01-23"), pd.Timestamp("2025-01-31"), 0],
        ["Y", pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-10"), 0],
    ]


def test_deepseek_pack_import(tmp_path: Path) -> None:
    store = PriceStore(tmp_path)
    assert store.upsert(read_pack(DEEPSEEK_PACK), origin=str(DEEPSEEK_PACK)) == 149_625
    coverage = store.coverage()
    assert len(coverage) == 132 and coverage["rows"].sum() == 149_625
    panel = store.panel(["NVDA", "SPY"], "2025-01-24", "2025-01-27")
    # Known market fact (shared/README.md): NVDA 142.41 -> 118.24, SPY -1.41% on 2025-01-27.
    np.testing.assert_allclose(panel["NVDA"], [142.41, 118.24], atol=0.01)
    assert panel["SPY"].pct_change().iloc[-1] == pytest.approx(-0.0141, abs=5e-5)


def test_empty_store_reads_empty(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "nowhere")
    assert store.tickers() == [] and store.files() == [] and store.coverage().empty
    assert store.panel(["AAA"], START, END)["AAA"].isna().all()
    assert len(store.missing_ranges(["AAA"], START, END)) == 1
    assert not (tmp_path / "nowhere").exists()  # reading never creates the store


def test_leftovers_of_an_interrupted_write_are_removed(store: PriceStore) -> None:
    before = store.prices()
    (store.root / "prices" / ".tmp-dead.parquet").write_bytes(b"half written")
    (store.root / "prices" / "2024.g999999.parquet").write_bytes(b"never committed")
    (store.root / ".tmp-dead.json").write_bytes(b"{")
    pd.testing.assert_frame_equal(store.prices(), before)
    store.upsert(pd.DataFrame({"ticker": ["AAA"], "date": ["2025-02-03"], "adj_close": [1.5]}))
    assert sorted(p.name for p in (store.root / "prices").iterdir()) == sorted(
        p.name for p in store.files()
    )
    assert not (store.root / ".tmp-dead.json").exists()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.prices("AAA", "2025-02-01", "2025-01-01"), "start: 2025-02-01 is after end"),
        (lambda s: s.panel(["AAA"], "2025-02-01", "2025-01-01"), "pass start <= end"),
        (lambda s: s.panel(["AAA", "aaa"], START, END), "AAA given more than once"),
        (lambda s: s.panel(["AAA", " "], START, END), "empty ticker"),
        (lambda s: s.prices(columns=("price",)), "columns: ['price']"),
        (lambda s: s.missing_ranges("AAA", START, END, max_hole=-1), "max_hole: -1"),
        (lambda s: s.prices("AAA", "not a date"), "start: 'not a date' is not a date"),
    ],
)
def test_bad_arguments_raise_spec_error(
    store: PriceStore, call: Callable[[PriceStore], object], message: str
) -> None:
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call(store)


def test_invalid_rows_raise_data_error_naming_origin(tmp_path: Path) -> None:
    bad = pd.DataFrame({"ticker": ["AAA"], "date": ["2025-01-02"], "adj_close": [-3.0]})
    with pytest.raises(DataError, match="my-feed: row 1"):
        PriceStore(tmp_path).upsert(bad, origin="my-feed")
    assert PriceStore(tmp_path).files() == []


def test_not_writable_directory_raises_store_error(tmp_path: Path, frame: pd.DataFrame) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(
        StoreError, match=r"a-file/store is not writable .*choose another store directory"
    ):
        PriceStore(blocker / "store").upsert(frame)


def test_damaged_data_file_names_the_file(store: PriceStore) -> None:
    victim = store.files()[0]
    victim.write_bytes(b"garbage" * 100)
    with pytest.raises(StoreError, match=f"store file {victim} cannot be read.*re-import"):
        store.prices()


def test_damaged_manifest_raises_store_error(store: PriceStore) -> None:
    (store.root / "manifest.json").write_text("{not json")
    with pytest.raises(StoreError, match=r"manifest.json is damaged.*restore it from a backup"):
        store.panel(["AAA"], START, END)


def test_lost_manifest_is_not_mistaken_for_an_empty_store(store: PriceStore) -> None:
    doc = json.loads((store.root / "manifest.json").read_text())
    assert doc["generation"] == 1
    (store.root / "manifest.json").unlink()
    with pytest.raises(StoreError, match=r"manifest\.json is missing but"):
        store.upsert(_frame())
    assert len(list((store.root / "prices").iterdir())) == 2  # nothing was deleted


def test_failed_write_keeps_previous_data(
    store: PriceStore, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.prices(columns=("adj_close", "volume"))

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "write_table", disk_full)
    with pytest.raises(StoreError, match=r"No space left on device.*keeps its previous data"):
        store.upsert(frame.assign(adj_close=frame["adj_close"] * 2))
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.prices(columns=("adj_close", "volume")), before)
    assert not [p for p in (store.root / "prices").iterdir() if p.name.startswith(".tmp-")]


def test_busy_writer_lock_times_out_with_store_error(
    store: PriceStore, frame: pd.DataFrame
) -> None:
    with FileLock(store.root / ".write.lock"):
        busy = PriceStore(store.root, lock_timeout=0.2)
        with pytest.raises(
            StoreError, match=r"another process has been writing for more than 0\.2 s"
        ):
            busy.upsert(frame)
        pd.testing.assert_frame_equal(busy.prices(), store.prices())  # readers never wait


def test_one_store_serves_many_threads(store: PriceStore) -> None:
    requests = [["AAA"], ["BBB", "AAA"], ["^IRX", "BBB"], ["AAA", "NOPE", "BBB"]] * 20
    expected = {tuple(r): store.panel(r, START, END) for r in requests[:4]}
    with ThreadPoolExecutor(max_workers=4) as pool:
        panels = list(pool.map(lambda r: store.panel(r, START, END), requests))
    for names, got in zip(requests, panels, strict=True):
        pd.testing.assert_frame_equal(got, expected[tuple(names)])


def test_holds_reads_the_parquet_statistics(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "s")
    assert not store.holds("volume")  # empty store
    rows = pd.DataFrame(
        {"ticker": ["AAA", "AAA"], "date": pd.to_datetime(["2024-01-02", "2025-01-02"]),
         "adj_close": [10.0, 11.0]}
    )  # fmt: skip
    store.upsert(rows)
    assert not store.holds("volume") and store.holds("adj_close")
    store.upsert(rows.iloc[1:].assign(volume=[1000.0]))
    assert store.holds("volume") and store.holds("volume", "2025-01-01", "2025-12-31")
    assert not store.holds("volume", "2024-01-01", "2024-12-31")
    # A store rebuilt under the same path is read anew, not from the cache.
    shutil.rmtree(tmp_path / "s")
    PriceStore(tmp_path / "s").upsert(rows)
    assert not PriceStore(tmp_path / "s").holds("volume")
