"""The universe file's event tables, read by pyarrow: CSV text or Parquet, at scale.

Expected frames are written out by hand (or, at scale, taken from the arrays the file was made
of), never produced by the reader under test; a Parquet file must read as the CSV file of the
same content does, so everything after the reader works unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
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


def _parquet(tmp_path: Path, table: pa.Table, name: str = "universe.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path)
    return path


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


@pytest.fixture(scope="module")
def big_parquet(big_table: pa.Table, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "universe.parquet"
    pq.write_table(big_table, path)
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


# -- Parquet: the same frame as the CSV file of the same content --------------------------------

CSV = """ticker,date,timing,theme,ai_exposure,rank
NVDA,2025-01-27,before_open,chips,0.9,1
AVGO,2025-01-28,after_close,chips,,2
VST,2024-08-02,before_open,power,0.25,3
"""
TICKERS = ["NVDA", "AVGO", "VST"]
DAYS = [dt.date(2025, 1, 27), dt.date(2025, 1, 28), dt.date(2024, 8, 2)]


def _same_as_csv(**dates: pa.Array) -> pa.Table:
    return pa.table(
        {
            "Ticker": TICKERS,
            **dates,
            "TIMING": ["before_open", "after_close", "before_open"],
            "theme": pa.array(["chips", "chips", "power"]).dictionary_encode(),
            "ai_exposure": pa.array([0.9, None, 0.25]),
            "rank": pa.array([1, 2, 3], pa.int16()),
        }
    )


@pytest.mark.parametrize(
    "dates",
    [
        pa.array(DAYS, pa.date32()),
        pa.array(DAYS, pa.date64()),
        pa.array([dt.datetime(d.year, d.month, d.day) for d in DAYS], pa.timestamp("ns")),
        # 9:30 in New York is 14:30 UTC in winter, 13:30 in summer: the same New York day.
        pa.array(
            [
                dt.datetime(2025, 1, 27, 14, 30),
                dt.datetime(2025, 1, 29, 2, 0),
                dt.datetime(2024, 8, 2, 13, 30),
            ],
            pa.timestamp("us", "UTC"),
        ),
        pa.array([d.isoformat() for d in DAYS]),
    ],
    ids=["date32", "date64", "timestamp", "utc-timestamp", "text"],
)
def test_parquet_reads_as_the_csv_file_of_the_same_content(tmp_path: Path, dates: pa.Array) -> None:
    from_csv = _events(tmp_path, CSV)
    pd.testing.assert_frame_equal(
        from_csv,
        _frame(
            ticker=TICKERS,
            date=["2025-01-27", "2025-01-28", "2024-08-02"],
            timing=["before_open", "after_close", "before_open"],
            theme=["chips", "chips", "power"],
            ai_exposure=["0.9", "", "0.25"],
            rank=["1", "2", "3"],
        ),
    )
    listed, from_parquet = read_universe(_parquet(tmp_path, _same_as_csv(Date=dates)))
    assert listed is None
    pd.testing.assert_frame_equal(from_parquet, from_csv)


def test_parquet_is_known_by_its_magic_and_pandas_index_is_dropped(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"ticker": ["NVDA", "AVGO"], "date": pd.to_datetime(["2025-01-27", "2025-01-28"])},
        index=pd.Index([7, 9], name="row"),
    )
    path = tmp_path / "events.csv"  # a misleading name: the first bytes say Parquet
    frame.to_parquet(path)
    assert path.read_bytes()[:4] == b"PAR1"
    pd.testing.assert_frame_equal(
        read_universe(path)[1], _frame(ticker=["NVDA", "AVGO"], date=["2025-01-27", "2025-01-28"])
    )


def test_a_parquet_ticker_list(tmp_path: Path) -> None:
    path = _parquet(tmp_path, pa.table({"TICKER": ["NVDA", None, " AVGO ", ""]}), "list.pq")
    assert read_universe(path) == (["NVDA", "AVGO"], None)


def test_a_million_parquet_rows(big_parquet: Path, big_csv: Path, big_table: pa.Table) -> None:
    listed, events = read_universe(big_parquet)
    assert listed is None and events is not None
    assert len(events) == ROWS
    expected = big_table.slice(ROWS - 1, 1).to_pylist()[0]
    assert events.iloc[-1].tolist() == [
        expected["ticker"],
        expected["date"].isoformat(),
        expected["timing"],
        str(expected["size"]),
    ]
    pd.testing.assert_frame_equal(events, read_universe(big_csv)[1])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"ticker": ["NVDA", None], "date": DAYS[:2]}), "data row 2 has an empty ticker"),
        (
            pa.table({"ticker": ["NVDA", "AVGO"], "date": pa.array([None, None], pa.date32())}),
            "data row 1 has an empty date (2 rows with an empty cell); give every row a ticker",
        ),
        (
            pa.table({"ticker": ["NVDA"], "date": DAYS[:1], "timing": pa.nulls(1)}),
            "data row 1 has an empty timing",
        ),
        (
            pa.table({"symbol": ["NVDA"], "date": DAYS[:1]}),
            "has no ticker column (its columns: symbol, date); name the tickers' column ticker",
        ),
        (
            pa.table({"ticker": ["NVDA"], "theme": ["chips"]}),
            "has no date column (its columns: ticker, theme); add the event dates",
        ),
        (
            pa.table({"ticker": [1], "date": DAYS[:1]}),
            "column ticker holds int64 values; store the tickers as text",
        ),
        (
            pa.table({"ticker": ["NVDA"], "date": [20250127]}),
            "column date holds int64 values; "
            "store the dates as a date, timestamp or text (YYYY-MM-DD) column",
        ),
        (
            pa.table({"ticker": ["NVDA"], "date": DAYS[:1], "timing": [True]}),
            "column timing holds bool values; store the timings as text",
        ),
        (
            pa.table({"ticker": ["NVDA"], "date": DAYS[:1], "peers": [["AMD"]]}),
            "column peers holds list<element: string> values; keep other columns to text, "
            "numbers or dates",
        ),
        (
            pa.table({"ticker": ["NVDA"], "date": DAYS[:1], "blob": [b"x"]}),
            "column blob holds binary values",
        ),
    ],
    ids=[
        "null-ticker",
        "null-dates",
        "null-timing",
        "no-ticker",
        "no-date",
        "int-ticker",
        "int-date",
        "bool-timing",
        "list-column",
        "binary-column",
    ],
)
def test_a_bad_parquet_table_is_one_data_error(
    tmp_path: Path, table: pa.Table, message: str
) -> None:
    with pytest.raises(DataError, match="--universe-file: ") as error:
        read_universe(_parquet(tmp_path, table))
    assert message in str(error.value)


def _valid_parquet(tmp_path: Path) -> bytes:
    return _parquet(
        tmp_path, pa.table({"ticker": ["NVDA"] * 100, "date": DAYS[:1] * 100}), "ok.pq"
    ).read_bytes()


@pytest.mark.parametrize(
    ("damage", "name"),
    [
        (lambda good: good[: len(good) // 2], "truncated.parquet"),
        (lambda good: b"PAR1" + bytes(300) + b"PAR1", "zeros.csv"),
        (lambda good: good[:8] + bytes(64) + good[72:-8] + bytes(4) + good[-4:], "damaged.pq"),
        (lambda good: b"", "empty.parquet"),
        (lambda good: b"ticker,date\nNVDA,2025-01-27\n", "text.parquet"),
    ],
    ids=["truncated", "zeros", "damaged", "empty", "text"],
)
def test_a_corrupt_parquet_file_is_one_data_error(tmp_path: Path, damage, name: str) -> None:
    path = _write(tmp_path, damage(_valid_parquet(tmp_path)), name)
    with pytest.raises(DataError, match="is not a readable Parquet file") as error:
        read_universe(path)
    assert str(error.value).endswith(
        "; write it again (e.g. pandas DataFrame.to_parquet) or pass a CSV file"
    )


def test_parquet_keeps_the_size_row_and_regular_file_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _parquet(tmp_path, pa.table({"ticker": ["NVDA"] * 11, "date": DAYS[:1] * 11}))
    monkeypatch.setattr("app.cli.files.UNIVERSE_MAX_ROWS", 10)
    with pytest.raises(DataError, match="holds 11 rows, more than 10; split the universe"):
        read_universe(path)
    monkeypatch.setattr("app.cli.files.UNIVERSE_MAX_BYTES", 100)
    with pytest.raises(DataError, match="is larger than 100 bytes"):
        read_universe(path)
    (tmp_path / "folder.parquet").mkdir()
    with pytest.raises(DataError, match="is not a regular file"):
        read_universe(tmp_path / "folder.parquet")


def test_a_parquet_universe_through_a_pipe(tmp_path: Path) -> None:
    data = _parquet(tmp_path, pa.table({"ticker": ["NVDA"], "date": DAYS[:1]}))
    fifo = tmp_path / "universe.fifo"  # no suffix: known by its first bytes
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(data.read_bytes()), daemon=True)
    writer.start()
    try:
        events = read_universe(fifo)[1]
    finally:
        writer.join(10)
    pd.testing.assert_frame_equal(events, _frame(ticker=["NVDA"], date=["2025-01-27"]))


def test_a_study_on_a_parquet_universe_is_the_csv_study(run, tmp_path: Path) -> None:
    """End to end: the offline data pack, covariates used by --regress and --group-by."""
    rows = [
        ("NVDA", "chips", 0.9),
        ("AVGO", "chips", 0.8),
        ("AMD", "chips", 0.7),
        ("MU", "chips", None),
        ("VST", "power", 0.6),
        ("CEG", "power", 0.5),
        ("KO", "staples", 0.0),
        ("PG", "staples", 0.0),
        ("WMT", "staples", 0.1),
    ]
    csv = "ticker,date,theme,ai_exposure\n" + "".join(
        f"{t},2025-01-27,{theme},{'' if w is None else w}\n" for t, theme, w in rows
    )
    table = pa.table(
        {
            "ticker": [t for t, _, _ in rows],
            "date": [dt.date(2025, 1, 27)] * len(rows),
            "theme": [theme for _, theme, _ in rows],
            "ai_exposure": [w for _, _, w in rows],
        }
    )
    docs = []
    for path in (_write(tmp_path, csv), _parquet(tmp_path, table)):
        out = tmp_path / f"{path.suffix[1:]}.json"
        result = run(
            "study",
            "--universe-file",
            str(path),
            "--regress",
            "beta,ai_exposure",
            "--group-by",
            "theme",
            "--placebo",
            "0",
            "--window=0:0",
            "--json",
            str(out),
        )
        assert result.exit_code == 0, result.output
        docs.append(json.loads(out.read_text()))
    from_csv, from_parquet = docs
    assert from_parquet["regression"]["0:0"]["n"] == 8  # MU has no ai_exposure
    for key in ("day0", "firms", "regression", "groups"):
        assert from_parquet[key] == from_csv[key], key
