"""The universe file's event tables, read by pyarrow: CSV text at scale.

Expected frames are written out by hand (or, at scale, taken from the arrays the file was made
of), never produced by the reader under test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from analytics.errors import DataError
from app.cli.files import read_universe

ROWS = 1_000_000


def _write(tmp_path: Path, text: str | bytes, name: str = "universe.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _events(tmp_path: Path, text: str | bytes, name: str = "universe.csv") -> pd.DataFrame:
    listed, events = read_universe(_write(tmp_path, text, name))
    assert listed is None and events is not None
    return events


def _frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.array(values, dtype="str") for name, values in columns.items()})


@pytest.fixture(scope="module")
def big_table() -> pa.Table:
    """A million firm-events over 5,000 tickers and 3,000 days, seeded."""
    rng = np.random.default_rng(12)
    names = pa.array([f"T{i:04d}" for i in range(5000)])
    days = np.datetime64("2015-01-02") + rng.integers(0, 3000, ROWS)
    return pa.table(
        {
            "ticker": names.take(pa.array(rng.integers(0, 5000, ROWS))),
            "date": pa.array(days.astype("datetime64[D]")),
            "timing": pa.array(np.where(rng.random(ROWS) < 0.5, "after_close", "before_open")),
            "size": pa.array(rng.integers(1, 10_000, ROWS)),
        }
    )


@pytest.fixture(scope="module")
def big_csv(big_table: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "universe.csv"
    pa_csv.write_csv(big_table, path)  # pyarrow quotes the header: "ticker","date",...
    return path


# -- CSV: what the pandas reader did, kept ------------------------------------------------------


def test_cells_are_stripped_text_and_names_lower_case(tmp_path: Path) -> None:
    events = _events(tmp_path, "Ticker, DATE ,Timing,Theme\n NVDA , 2025-01-27 ,after_close, 007\n")
    pd.testing.assert_frame_equal(
        events,
        _frame(ticker=["NVDA"], date=["2025-01-27"], timing=["after_close"], theme=["007"]),
    )


def test_blank_lines_bom_and_line_ends(tmp_path: Path) -> None:
    text = "\ufeff\n  \nticker,date\r\nNVDA,2025-01-27\r\n\r\n   \r\nAVGO,2025-01-28\rMU,2025-01-29"
    pd.testing.assert_frame_equal(
        _events(tmp_path, text),
        _frame(ticker=["NVDA", "AVGO", "MU"], date=["2025-01-27", "2025-01-28", "2025-01-29"]),
    )


def test_quoted_cells_and_a_quoted_header(tmp_path: Path) -> None:
    text = '"ticker","date","note"\nNVDA,2025-01-27,"chips, memory"\nAVGO, "2025-01-28","a\nb"\n'
    pd.testing.assert_frame_equal(
        _events(tmp_path, text),
        _frame(
            ticker=["NVDA", "AVGO"],
            date=["2025-01-27", "2025-01-28"],
            note=["chips, memory", "a\nb"],
        ),
    )


def test_text_that_looks_missing_stays_text(tmp_path: Path) -> None:
    events = _events(tmp_path, "ticker,date,x,y\nNA,2025-01-27,N/A,\n")
    pd.testing.assert_frame_equal(
        events, _frame(ticker=["NA"], date=["2025-01-27"], x=["N/A"], y=[""])
    )


def test_a_short_row_gets_empty_cells_in_its_place(tmp_path: Path) -> None:
    text = "ticker,date,theme\nNVDA,2025-01-27,chips\nAVGO,2025-01-28\n\nMU,2025-01-29,chips\n"
    pd.testing.assert_frame_equal(
        _events(tmp_path, text),
        _frame(
            ticker=["NVDA", "AVGO", "MU"],
            date=["2025-01-27", "2025-01-28", "2025-01-29"],
            theme=["chips", "", "chips"],
        ),
    )


def test_repeated_and_blank_names_stay_distinct(tmp_path: Path) -> None:
    events = _events(tmp_path, "ticker,date,x,X,\nNVDA,2025-01-27,a,b,c\n")
    assert events.columns.tolist() == ["ticker", "date", "x", "x.1", "unnamed: 4"]
    assert events.iloc[0].tolist() == ["NVDA", "2025-01-27", "a", "b", "c"]


def test_a_header_only_table_is_empty(tmp_path: Path) -> None:
    events = _events(tmp_path, "ticker,date")
    assert events.columns.tolist() == ["ticker", "date"] and len(events) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ticker,date\nNVDA,2025-01-27\n\nAVGO,2025-01-28,x\n", "data row 2 has 3"),
        ("ticker,date\nNVDA,2025-01-27,x\nAVGO\n", "data row 1 has 3"),
        ('ticker,date,t\nNVDA, 2025-01-27, "a,b"\n', "a quoted cell starts right after"),
    ],
)
def test_a_long_row_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DataError, match="rows have more fields than the header") as error:
        _events(tmp_path, text)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "ticker,date\nNVDA,2025-01-27\n,2025-01-28\n,\n",
            "data row 2 has an empty ticker (2 rows",
        ),
        ("ticker,date,timing\nNVDA,2025-01-27\n", "data row 1 has an empty timing (1 rows"),
        ("ticker,date\n\nNVDA,2025-01-27\n  \nAVGO\n", "data row 2 has an empty date (1 rows"),
    ],
)
def test_an_empty_cell_names_the_first_bad_data_row(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(DataError, match="give every row a ticker and a date") as error:
        _events(tmp_path, text)
    assert message in str(error.value)


def test_a_quote_left_open_is_refused(tmp_path: Path) -> None:
    # Else the rest of the file would be one cell, and its rows silently lost.
    text = 'ticker,date,theme\nNVDA,2025-01-27,"chips\nAVGO,2025-01-28,power\n'
    with pytest.raises(DataError, match=r'a quoted cell \(starting with "\) is never closed'):
        _events(tmp_path, text)


def test_a_ticker_list_has_no_date_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeffticker\nNVDA, AVGO\n\n MU \n", "tickers.txt")
    assert read_universe(path) == (["NVDA", "AVGO", "MU"], None)


def test_a_million_csv_rows(big_csv: Path, big_table: pa.Table) -> None:
    listed, events = read_universe(big_csv)
    assert listed is None and events is not None
    assert len(events) == ROWS
    assert events.columns.tolist() == ["ticker", "date", "timing", "size"]
    for row in (0, 123_456, ROWS - 1):
        expected = big_table.slice(row, 1).to_pylist()[0]
        assert events.iloc[row].tolist() == [
            expected["ticker"],
            expected["date"].isoformat(),
            expected["timing"],
            str(expected["size"]),
        ]
