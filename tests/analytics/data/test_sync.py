"""The fetch chain with in-memory fake sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.data.sources import SourceResult
from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport, fetch
from analytics.errors import SourceError, SpecError

START, END = "2024-01-02", "2024-03-28"


def _prices(tickers: list[str], start: str = START, end: str = END) -> pd.DataFrame:
    days = sessions(start, end)
    return pd.DataFrame(
        {
            "ticker": np.repeat(tickers, len(days)),
            "date": np.tile(days, len(tickers)),
            "adj_close": np.arange(1.0, len(tickers) * len(days) + 1),
        }
    )


@dataclass
class FakeSource:
    """Serves rows of its frame; records every request; can fail or crash on demand."""

    name: str
    data: pd.DataFrame
    fail: Exception | None = None
    calls: list[tuple[list[str], pd.Timestamp, pd.Timestamp]] = field(default_factory=list)

    def get(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> SourceResult:
        self.calls.append((list(tickers), start, end))
        if self.fail is not None and len(self.calls) > 1:
            raise self.fail
        rows = self.data[self.data["ticker"].isin(tickers) & self.data["date"].between(start, end)]
        absent = set(tickers) - set(rows["ticker"])
        return SourceResult(
            prices=rows.reset_index(drop=True),
            missing={t: f"{t} unknown to {self.name}" for t in absent},
        )


@pytest.fixture
def store(tmp_path: Path) -> PriceStore:
    return PriceStore(tmp_path / "store")


def test_fills_only_missing_ranges(store: PriceStore) -> None:
    full = _prices(["AAA"])
    store.upsert(full[full["date"] <= "2024-02-15"])
    pack = FakeSource("pack", full)
    report = fetch(store, ["aaa"], START, END, sources=[pack])
    assert pack.calls == [(["AAA"], pd.Timestamp("2024-02-16"), pd.Timestamp("2024-03-28"))]
    asked = full[full["date"] >= "2024-02-16"]
    assert report == FetchReport(rows_written=len(asked), fetched={"AAA": len(asked)})
    pd.testing.assert_frame_equal(
        store.prices("AAA"), full.astype({"ticker": "str", "date": "datetime64[ns]"})
    )


def test_chain_asks_later_sources_only_for_what_is_still_missing(store: PriceStore) -> None:
    pack = FakeSource("pack", _prices(["AAA"]))
    yahoo = FakeSource("yahoo", _prices(["AAA", "BBB"]).assign(adj_close=99.0))
    report = fetch(store, ["AAA", "BBB", "ZZZ"], START, END, sources=[pack, yahoo])
    assert [call[0] for call in yahoo.calls] == [["BBB", "ZZZ"]]
    assert report.fetched == {"AAA": 61, "BBB": 61}
    assert report.missing == {"ZZZ": "pack: ZZZ unknown to pack; yahoo: ZZZ unknown to yahoo"}
    assert (store.prices("AAA")["adj_close"] < 99).all()  # the pack's rows were not replaced


def test_settled_ranges_are_not_asked_again(store: PriceStore) -> None:
    pack = FakeSource("pack", _prices(["AAA"]))
    first = fetch(store, ["AAA", "ZZZ"], START, END, sources=[pack])
    second = fetch(store, ["AAA", "ZZZ"], START, END, sources=[pack])
    assert len(pack.calls) == 1  # 2024 is long settled: ZZZ is known to be empty
    assert first.missing.keys() == second.missing.keys() == {"ZZZ"}
    assert second.missing["ZZZ"] == "every source was asked before and had no prices"
    assert second.rows_written == 0


def test_source_error_is_reported_and_the_chain_continues(store: PriceStore) -> None:
    broken = FakeSource("yahoo", _prices([]), fail=SourceError("rate limited after 3 retries"))
    pack = FakeSource("pack", _prices(["AAA", "BBB"]))
    report = fetch(store, ["AAA", "BBB"], START, END, sources=[broken, pack], batch_size=1)
    assert report.errors == ("yahoo: rate limited after 3 retries",)
    assert report.fetched == {"AAA": 61, "BBB": 61} and report.missing == {}
    # yahoo answered AAA (with nothing) and failed on BBB: only AAA is logged as asked of it.
    log = store.fetch_log()
    assert log.loc[log["source"] == "yahoo", "ticker"].tolist() == ["AAA"]


def test_invalid_answer_is_that_sources_error(store: PriceStore) -> None:
    bad = _prices(["AAA"]).assign(adj_close=-1.0)
    report = fetch(store, ["AAA"], START, END, sources=[FakeSource("junk", bad)])
    assert len(report.errors) == 1 and report.errors[0].startswith("junk: junk: row 1")
    assert report.missing["AAA"].startswith("junk: junk: row 1")


def test_a_crash_keeps_what_was_fetched(store: PriceStore) -> None:
    crashing = FakeSource("pack", _prices(["AAA", "BBB"]), fail=RuntimeError("power cut"))
    with pytest.raises(RuntimeError, match="power cut"):
        fetch(store, ["AAA", "BBB"], START, END, sources=[crashing], batch_size=1, flush_rows=1)
    assert store.coverage()["ticker"].tolist() == ["AAA"]
    assert store.fetch_log()["ticker"].tolist() == ["AAA"]


def test_progress_reports_requests(store: PriceStore) -> None:
    seen: list[tuple[int, int]] = []
    pack = FakeSource("pack", _prices(["A", "B", "C"]))
    fetch(
        store,
        ["A", "B", "C"],
        START,
        END,
        sources=[pack],
        batch_size=2,
        progress=lambda *a: seen.append(a),
    )
    assert seen == [(1, 2), (2, 2)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": END, "end": START}, "start: 2024-03-28 is after end"),
        ({"sources": []}, "sources: none given"),
        ({"batch_size": 0}, "batch_size, flush_rows: 0"),
    ],
)
def test_bad_arguments(store: PriceStore, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "start": START,
        "end": END,
        "sources": [FakeSource("pack", _prices(["A"]))],
    }
    with pytest.raises(SpecError, match=message):
        fetch(store, ["A"], **(args | kwargs))  # type: ignore[arg-type]
