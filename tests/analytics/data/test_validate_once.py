"""Fetched rows are validated once, where they enter (the source), not again by sync and
upsert; a plain frame given to ``upsert`` is still checked in full."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.data import schema
from analytics.data.schema import ValidatedPrices
from analytics.data.sources.files import DataPackSource
from analytics.data.store import PriceStore
from analytics.data.sync import fetch
from analytics.errors import DataError

START, END = "2024-01-02", "2024-06-28"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    days = sessions(START, END)
    rows = pd.DataFrame(
        {
            "ticker": np.repeat(["AAA", "BBB"], len(days)),
            "date": np.tile(days, 2),
            "adj_close": np.linspace(10, 20, 2 * len(days)),
        }
    )
    path = tmp_path / "pack.parquet"  # as the shared data packs
    rows.to_parquet(path, index=False)
    return path


def test_a_fetch_checks_each_row_once(
    tmp_path: Path, pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = DataPackSource(pack)
    checked: list[int] = []
    real = schema._check

    def counting(frame: pd.DataFrame, origin: str) -> object:
        checked.append(len(frame))
        return real(frame, origin)

    monkeypatch.setattr(schema, "_check", counting)
    store = PriceStore(tmp_path / "store")
    report = fetch(store, ["AAA", "BBB"], START, END, sources=[source])
    n = 2 * len(sessions(START, END))
    assert report.rows_written == n
    assert sum(checked) == n  # the source's check only; neither sync nor upsert repeats it
    assert store.prices(["AAA", "BBB"])["adj_close"].tolist() == pytest.approx(
        np.linspace(10, 20, n).tolist()
    )


def test_a_plain_frame_is_still_checked_in_full(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "store")
    bad = pd.DataFrame({"ticker": ["AAA"], "date": ["2024-01-02"], "adj_close": [-1.0]})
    with pytest.raises(DataError, match="adj_close is zero or negative"):
        store.upsert(bad)
    assert store.tickers() == []


def test_validated_prices_are_built_only_by_validation() -> None:
    rows = pd.DataFrame({"ticker": ["aaa"], "date": ["2024-01-02"], "adj_close": [-1.0]})
    with pytest.raises(TypeError, match=r"ValidatedPrices\.check"):
        ValidatedPrices(rows)
    with pytest.raises(DataError):
        ValidatedPrices.check(rows, origin="test")
    valid, invalid = ValidatedPrices.split(rows, origin="test")
    assert (len(valid), invalid["reason"].tolist()) == (0, ["adj_close is zero or negative"])


def test_concat_sorts_and_keeps_the_later_row() -> None:
    a = ValidatedPrices.check(
        pd.DataFrame({"ticker": ["BBB", "AAA"], "date": ["2024-01-02"] * 2, "adj_close": [2.0, 1]}),
        origin="a",
    )
    b = ValidatedPrices.check(
        pd.DataFrame({"ticker": ["AAA"], "date": ["2024-01-02"], "adj_close": [5.0]}), origin="b"
    )
    both = ValidatedPrices.concat([a, b]).frame
    assert both[["ticker", "adj_close"]].values.tolist() == [["AAA", 5.0], ["BBB", 2.0]]
