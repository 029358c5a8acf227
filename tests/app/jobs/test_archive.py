"""Saved runs: atomic folders, listing newest first, loading back, comparing two runs."""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.data.sources.files import read_pack
from analytics.data.store import PriceStore
from analytics.errors import SpecError, StoreError
from analytics.study.engine import run_study
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec
from app.jobs import archive as runs
from app.jobs.archive import (
    RefreshRecord,
    RunRecord,
    clean_incomplete,
    compare_runs,
    last_refresh,
    list_runs,
    load_run,
    new_run_id,
    save_refresh,
    save_run,
)
from tests.support import DEEPSEEK_PACK

T0 = dt.datetime(2026, 11, 27, 21, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PriceStore:
    pack = read_pack(DEEPSEEK_PACK)
    keep = pack["ticker"].isin(["NVDA", "AMD", "AVGO", "MU", "SPY"]) & (
        pack["date"].between("2023-06-01", "2025-03-31")
    )
    prices = PriceStore(tmp_path_factory.mktemp("prices"))
    prices.upsert(pack[keep])
    return prices


def study(store: PriceStore, tickers: str, estimation: str = "-250:-11") -> StudyResult:
    spec = StudySpec.create(
        tickers=tickers, date="2025-01-27", estimation=estimation, windows=["0:0", "-1:1"]
    )
    return run_study(spec, store)


def record(result: StudyResult | None, started: dt.datetime, **fields: object) -> RunRecord:
    base: dict[str, object] = {
        "run_id": new_run_id(started),
        "study": "chips",
        "started": started,
        "finished": started + dt.timedelta(seconds=3),
    }
    if result is None:
        return RunRecord(**{"status": "failed", "errors": ("no usable firm",), **base, **fields})  # type: ignore[arg-type]
    ran = {"status": "ok", "data_start": dt.date(2024, 1, 2), "data_end": dt.date(2025, 2, 3)}
    return RunRecord.from_result(result, **{**base, **ran, **fields})


def test_a_run_loads_back_as_saved(store: PriceStore, tmp_path: Path) -> None:
    result = study(store, "NVDA,AMD,NOPE")
    saved = record(result, T0, status="partial", errors=("no prices for NOPE: not in pack",))
    path = save_run(tmp_path, saved, result)
    assert path == tmp_path / "results" / "chips" / saved.run_id
    assert sorted(p.name for p in path.iterdir()) == ["frames", "result.json", "run.json"]
    run = load_run(tmp_path, "chips")
    assert run.record == saved and run.path == path
    assert run.result_json == result.to_json()
    assert run.frames.keys() == result.to_frames().keys()
    for name, frame in result.to_frames().items():
        pd.testing.assert_frame_equal(run.frames[name], frame, check_dtype=False)
        assert list(run.frames[name].dtypes.astype(str)) == list(frame.dtypes.astype(str)), name
    # The record's summary numbers come from the result, not from the code under test.
    aggregate = result.aggregate.set_index("window")["caar"]
    assert saved.caar == {"0:0": aggregate["0:0"], "-1:1": aggregate["-1:1"]}
    assert (saved.n_ok, saved.n_excluded) == (2, 1)


def test_a_failed_run_keeps_its_error(tmp_path: Path) -> None:
    saved = record(None, T0)
    save_run(tmp_path, saved, None)
    run = load_run(tmp_path, "chips", saved.run_id)
    assert run.record.status == "failed" and run.record.errors == ("no usable firm",)
    assert run.frames == {} and run.result_json is None
    with pytest.raises(SpecError, match=r"has no result \(failed\); compare runs that computed"):
        compare_runs(run, run)


def test_list_runs_newest_first(store: PriceStore, tmp_path: Path) -> None:
    result = study(store, "NVDA,AMD")
    older = record(result, T0)
    newer = record(None, T0 + dt.timedelta(days=1))
    other = record(result, T0 + dt.timedelta(hours=1), study="power")
    for saved, res in ((older, result), (newer, None), (other, result)):
        save_run(tmp_path, saved, res)
    frame = list_runs(tmp_path)
    assert frame["run_id"].tolist() == [newer.run_id, other.run_id, older.run_id]
    assert frame["study"].tolist() == ["chips", "power", "chips"]
    assert frame["status"].tolist() == ["failed", "ok", "ok"]
    assert frame["errors"].tolist() == ["no usable firm", "", ""]
    assert frame.loc[2, "caar -1:1"] == pytest.approx(older.caar["-1:1"], rel=1e-15)
    assert frame["caar -1:1"].isna().tolist() == [True, False, False]
    assert frame.loc[2, "data_end"] == pd.Timestamp("2025-02-03")
    assert frame.loc[0, "started"] == pd.Timestamp(newer.started)
    assert list_runs(tmp_path, "power")["run_id"].tolist() == [other.run_id]
    assert list_runs(tmp_path, "nothing").empty
    assert "status" in list_runs(tmp_path / "empty").columns


def test_incomplete_runs_are_invisible_then_removed(
    store: PriceStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = study(store, "NVDA,AMD")
    kept = record(result, T0)
    save_run(tmp_path, kept, result)
    chips = tmp_path / "results" / "chips"
    half = chips / f".tmp-{new_run_id(T0)}"
    (half / "frames").mkdir(parents=True)
    (half / "result.json").write_text("{")
    damaged = chips / new_run_id(T0 + dt.timedelta(seconds=1))
    damaged.mkdir()
    (damaged / "run.json").write_text("{not json")
    (tmp_path / "results" / ".tmp-0123.json").write_text("{")
    with caplog.at_level(logging.WARNING, logger="app.jobs.archive"):
        assert list_runs(tmp_path)["run_id"].tolist() == [kept.run_id]
    assert f"saved run {damaged / 'run.json'} cannot be read" in caplog.text
    with pytest.raises(StoreError, match=r"cannot be read .*delete the folder"):
        load_run(tmp_path, "chips", damaged.name)
    assert clean_incomplete(tmp_path) == 2
    assert not half.exists() and not (tmp_path / "results" / ".tmp-0123.json").exists()
    assert load_run(tmp_path, "chips", kept.run_id).record == kept


def test_a_failed_write_leaves_no_run(
    store: PriceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = study(store, "NVDA,AMD")
    written = 0

    def disk_fills(frame: pd.DataFrame) -> bytes:
        nonlocal written
        written += 1
        if written == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return frame.to_parquet(index=False)

    monkeypatch.setattr(runs, "_parquet_bytes", disk_fills)
    with pytest.raises(StoreError, match=r"cannot save run .*No space left on device.*free disk"):
        save_run(tmp_path, record(result, T0), result)
    assert list((tmp_path / "results" / "chips").iterdir()) == []


def test_unknown_runs_are_spec_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"'chips' has no saved run .*run aftershock refresh"):
        load_run(tmp_path, "chips")
    save_run(tmp_path, record(None, T0), None)
    with pytest.raises(SpecError, match=r"run_id: '\.\./x' is not a saved run of 'chips'"):
        load_run(tmp_path, "chips", "../x")


def test_compare_runs_per_window_and_firm(store: PriceStore, tmp_path: Path) -> None:
    first = study(store, "NVDA,AMD")
    second = study(store, "NVDA,AMD,AVGO", estimation="-200:-11")
    a = record(first, T0)
    b = record(second, T0 + dt.timedelta(days=1))
    save_run(tmp_path, a, first)
    save_run(tmp_path, b, second)
    table = compare_runs(load_run(tmp_path, "chips", a.run_id), load_run(tmp_path, "chips"))
    assert list(table.columns) == ["window", "measure", "ticker", "day0", "a", "b", "diff"]
    assert table["window"].tolist()[:4] == ["0:0"] * 4
    assert table[["measure", "ticker"]].head(4).values.tolist() == [
        ["caar", ""],
        ["car", "AMD"],
        ["car", "AVGO"],
        ["car", "NVDA"],
    ]
    cars = {
        (key, tick): (
            first.windows.query("window == @key and ticker == @tick")["car"],
            second.windows.query("window == @key and ticker == @tick")["car"],
        )
        for key in ("0:0", "-1:1")
        for tick in ("NVDA", "AMD")
    }
    for (key, tick), (car_a, car_b) in cars.items():
        row = table[(table["window"] == key) & (table["ticker"] == tick)].iloc[0]
        assert row["a"] == car_a.iloc[0] and row["b"] == car_b.iloc[0]
        assert row["diff"] == pytest.approx(car_b.iloc[0] - car_a.iloc[0], abs=1e-15)
        assert row["day0"] == pd.Timestamp("2025-01-27")
    avgo = table[(table["ticker"] == "AVGO") & (table["window"] == "-1:1")].iloc[0]
    assert np.isnan(avgo["a"]) and np.isnan(avgo["diff"]) and np.isfinite(avgo["b"])
    caar = table[table["measure"] == "caar"].set_index("window")
    assert caar.loc["-1:1", "a"] == a.caar["-1:1"] and caar.loc["-1:1", "b"] == b.caar["-1:1"]
    same = compare_runs(
        load_run(tmp_path, "chips", a.run_id), load_run(tmp_path, "chips", a.run_id)
    )
    assert (same["diff"] == 0).all()


def test_last_refresh_round_trip(tmp_path: Path) -> None:
    assert last_refresh(tmp_path) is None
    saved = RefreshRecord(
        started=T0,
        finished=T0 + dt.timedelta(seconds=9),
        status="partial",
        runs={"chips": new_run_id(T0)},
        errors=("watchlists: no prices for NOPE",),
    )
    path = save_refresh(tmp_path, saved)
    assert last_refresh(tmp_path) == saved
    assert json.loads(path.read_text())["status"] == "partial"
    path.write_text("[")
    with pytest.raises(StoreError, match=r"last-refresh\.json cannot be read .*delete it"):
        last_refresh(tmp_path)


def test_run_ids_sort_by_time() -> None:
    ids = [new_run_id(T0 + dt.timedelta(microseconds=n)) for n in (0, 1, 10**6)]
    assert sorted(ids) == ids and len(set(ids)) == 3
    assert ids[0].startswith("20261127T213000000000Z-")
    local = dt.datetime(2026, 11, 27, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert new_run_id(local).startswith("20261127T213000000000Z-")
