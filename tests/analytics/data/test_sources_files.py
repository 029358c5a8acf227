"""Data-pack files: long Parquet/CSV, per-ticker Yahoo exports, directories, DataPackSource."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from analytics.data.schema import PRICE_COLUMNS
from analytics.data.sources import Source
from analytics.data.sources.files import DataPackSource, read_pack, split_pack
from analytics.errors import DataError, SpecError
from tests.support import DEEPSEEK_PACK, MARKET_DATA, US_PACK

YAHOO_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"
YAHOO_ROWS = (
    "2025-01-24,148.37,148.97,141.88,142.62,142.41,234657600\n"
    "2025-01-27,124.80,128.40,116.70,118.42,118.24,818830900\n"
)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _long() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["SPY", "NVDA", "NVDA", "SPY"],
            "date": pd.to_datetime(["2025-01-27", "2025-01-24", "2025-01-27", "2025-01-24"]),
            "adj_close": [599.37, 142.41, 118.24, 607.97],
        }
    )


def _expected_long() -> pd.DataFrame:
    """The frame above sorted by hand, with the optional columns the schema adds."""
    frame = pd.DataFrame(
        {
            "ticker": ["NVDA", "NVDA", "SPY", "SPY"],
            "date": pd.to_datetime(["2025-01-24", "2025-01-27", "2025-01-24", "2025-01-27"]),
            "adj_close": [142.41, 118.24, 607.97, 599.37],
        }
    )
    for column in PRICE_COLUMNS[3:]:
        frame[column] = np.nan
    return frame.astype({"ticker": "str", "date": "datetime64[ns]"})


def test_long_csv_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    _long().to_csv(path, index=False, date_format="%Y-%m-%d")
    pd.testing.assert_frame_equal(read_pack(path), _expected_long())


@pytest.mark.parametrize("date_type", [pa.date32(), pa.timestamp("us"), pa.string()])
def test_long_parquet_round_trip(tmp_path: Path, date_type: pa.DataType) -> None:
    frame = _long()
    table = pa.table(
        {
            "ticker": frame["ticker"].tolist(),
            "date": pa.array(frame["date"].dt.date.tolist()).cast(date_type),
            "adj_close": frame["adj_close"].tolist(),
        }
    )
    pq.write_table(table, tmp_path / "prices.parquet")
    pd.testing.assert_frame_equal(read_pack(tmp_path / "prices.parquet"), _expected_long())


def test_yahoo_export_with_adj_close(tmp_path: Path) -> None:
    out = read_pack(_write(tmp_path / "nvda.csv", YAHOO_HEADER + YAHOO_ROWS))
    assert out["ticker"].tolist() == ["NVDA", "NVDA"]
    assert out["date"].tolist() == [pd.Timestamp("2025-01-24"), pd.Timestamp("2025-01-27")]
    assert out["adj_close"].tolist() == [142.41, 118.24]
    assert out["close"].tolist() == [142.62, 118.42]
    assert out["open"].tolist() == [148.37, 124.80]
    assert out["volume"].tolist() == [234657600.0, 818830900.0]


def test_newer_yahoo_export_without_adj_close_is_already_adjusted(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2025-01-24,480.1,481.0,477.5,478.93,3100000\n"
    out = read_pack(_write(tmp_path / "BRK-B.csv", text))
    assert out[["ticker", "adj_close", "close", "high"]].values.tolist() == [
        ["BRK-B", 478.93, 478.93, 481.0]
    ]


def test_directory_mixes_formats_and_serves_a_shared_ticker_from_the_larger_file(
    tmp_path: Path,
) -> None:
    _long().to_csv(tmp_path / "a-long.csv", index=False)
    _write(
        tmp_path / "NVDA.csv",
        YAHOO_HEADER + YAHOO_ROWS + "2025-01-28,127,129,125,128.99,128.96,1000\n",
    )
    _write(tmp_path / "notes.txt", "not a data file")
    (tmp_path / "sub").mkdir()
    out = read_pack(tmp_path)
    # NVDA has 3 rows in NVDA.csv and 2 in a-long.csv: the whole series comes from NVDA.csv.
    nvda = out[out["ticker"] == "NVDA"]
    assert nvda["adj_close"].tolist() == [142.41, 118.24, 128.96]
    assert nvda["close"].notna().all()
    assert out["ticker"].tolist() == ["NVDA"] * 3 + ["SPY"] * 2
    assert out.set_index(["ticker", "date"]).index.is_monotonic_increasing


def test_shared_ticker_tie_goes_to_the_first_file_by_name(tmp_path: Path) -> None:
    _write(tmp_path / "b.csv", "ticker,date,adj_close\nX,2024-01-02,2.0\n")
    _write(tmp_path / "a.csv", "ticker,date,adj_close\nX,2024-01-02,1.0\n")
    assert read_pack(tmp_path)["adj_close"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("empty.csv", b"", r"empty\.csv: empty file; expected a long pack"),
        ("blank.csv", b"\n  \n", r"blank\.csv: empty file"),
        ("bin.csv", b"PAR1\x00\x01\x02\x00garbage", r"bin\.csv: binary data, not a CSV text file"),
        ("text.parquet", b"ticker,date,adj_close\n", r"text\.parquet: not a readable Parquet file"),
        ("header.csv", b"ticker,date,adj_close\n", r"header\.csv: no data rows"),
        (
            "cols.csv",
            b"Symbol,Day,Price\nA,2024-01-02,1\n",
            r"cols\.csv: unrecognized columns \(Symbol, Day, Price\); expected a long pack "
            r"\(ticker, date, adj_close\[, open, high, low, close, volume\]\) or a Yahoo export",
        ),
        (
            "long.csv",
            b"ticker,date,close\nA,2024-01-02,1\n",
            r"long\.csv: missing column\(s\) adj_close; found ticker, date, close",
        ),
        (
            "wide.csv",
            b"ticker,date,adj_close\nA,2024-01-02,1,9,9\n",
            r"wide\.csv: rows have more fields than the header \(ticker, date, adj_close\)",
        ),
        (
            "ragged.csv",
            b"ticker,date,adj_close\nA,2024-01-02,1\nB,2024-01-02,1,9\n",
            r"ragged\.csv: not a readable CSV file \(.*Expected 3 fields in line 3, saw 4",
        ),
        (
            "latin.csv",
            "ticker,date,adj_close\nÉ,2024-01-02,1\n".encode("latin-1"),
            r"latin\.csv: not a readable CSV",
        ),
        (
            "NVDA (1).csv",
            YAHOO_HEADER.encode() + YAHOO_ROWS.encode(),
            r"cannot take a ticker from the file name 'NVDA \(1\)\.csv'; name per-ticker Yahoo",
        ),
    ],
)
def test_unreadable_files_name_the_file_and_the_problem(
    tmp_path: Path, name: str, content: bytes, pattern: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    for read in (read_pack, split_pack):
        with pytest.raises(DataError, match=pattern):
            read(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "2025-13-01,1,1,1,1,1.5,10",
            "row 4 (ticker 'SPY', date '2025-13-01'): column date is not a date",
        ),
        (
            "2025-01-29,1,1,1,1,,10",
            "row 4 (ticker 'SPY', date '2025-01-29'): column adj_close is missing",
        ),
        (
            "2025-01-29,1,1,1,1,null,10",
            "row 4 (ticker 'SPY', date '2025-01-29'): column adj_close is missing",
        ),
        ("2025-01-29,1,1,1,1,-3.2,10", "column adj_close is zero or negative, got -3.2"),
        ("2025-01-29,1,1,1,1,abc,10", "column adj_close is not a number, got 'abc'"),
        (
            "2025-01-24,1,1,1,1,142.41,10",
            "repeats an earlier row of this ticker (different values), first seen at row 2",
        ),
    ],
)
def test_bad_rows_name_file_row_column_and_value(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path / "SPY.csv", YAHOO_HEADER + YAHOO_ROWS + line + "\n")
    with pytest.raises(DataError) as info:
        read_pack(path)
    assert str(info.value).startswith(f"{path}: row 4")
    assert message in str(info.value)
    assert "drop_invalid=True" in str(info.value)
    valid, invalid = split_pack(path)
    assert len(valid) == 2
    assert invalid[["file", "row"]].values.tolist() == [[str(path), 4]]


def test_missing_paths_and_empty_directories(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=r"nowhere does not exist; pass a \.parquet/\.csv file or a directory"
    ):
        read_pack(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"holds no \.parquet or \.csv files"):
        DataPackSource(tmp_path)


def test_deepseek_pack_shape_and_the_nvda_crash() -> None:
    out = read_pack(DEEPSEEK_PACK)
    assert len(out) == 149_625
    assert out["ticker"].nunique() == 132
    nvda = out[out["ticker"] == "NVDA"].set_index("date")["adj_close"]
    assert nvda[pd.Timestamp("2025-01-24")] == pytest.approx(142.41, abs=0.01)
    assert nvda[pd.Timestamp("2025-01-27")] == pytest.approx(118.24, abs=0.01)


def _pack_rows(path: Path, tickers: list[str], start: str, end: str) -> pd.DataFrame:
    """Independent oracle: the pack's rows read with plain pyarrow and pandas filtering."""
    frame = pq.read_table(path).to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    keep = (
        frame["ticker"].isin(tickers) & frame["date"].between(start, end) & (frame["adj_close"] > 0)
    )
    return frame.loc[keep].sort_values(["ticker", "date"], ignore_index=True)


def test_data_pack_source_on_the_deepseek_pack() -> None:
    source: Source = DataPackSource(DEEPSEEK_PACK)
    result = source.get(
        ["nvda", "SPY", "NVDA", "ZZZZ"], pd.Timestamp("2025-01-02"), pd.Timestamp("2025-01-27")
    )
    expected = _pack_rows(DEEPSEEK_PACK, ["NVDA", "SPY"], "2025-01-02", "2025-01-27")
    pd.testing.assert_frame_equal(
        result.prices[["ticker", "date", "adj_close"]], expected, check_dtype=False
    )
    assert result.prices["date"].max() == pd.Timestamp("2025-01-27")  # end is inclusive
    assert result.missing == {"ZZZZ": f"not in data pack {DEEPSEEK_PACK}"}
    assert result.prices["ticker"].dtype == "str"
    before = source.get(["NVDA"], pd.Timestamp("2019-01-01"), pd.Timestamp("2019-12-31"))
    assert before.prices.empty
    assert before.missing == {"NVDA": "no prices in data pack between 2019-01-01 and 2019-12-31"}


def test_data_pack_source_lists_tickers_and_checks_dates() -> None:
    source = DataPackSource(DEEPSEEK_PACK)
    tickers = source.available_tickers()
    expected = (
        pq.read_table(DEEPSEEK_PACK, columns=["ticker"]).column("ticker").unique().to_pylist()
    )
    assert tickers == sorted(expected)
    assert {"NVDA", "SPY", "^IRX"} <= set(tickers)
    with pytest.raises(SpecError, match="start: 2025-02-01 is after end 2025-01-01"):
        source.get(["NVDA"], pd.Timestamp("2025-02-01"), pd.Timestamp("2025-01-01"))
    assert source.get([], pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")).prices.empty


def test_data_pack_source_over_csv_files_drops_invalid_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path / "NVDA.csv", YAHOO_HEADER + YAHOO_ROWS + "2025-01-28,1,1,1,1,-5,1\n")
    _write(tmp_path / "BAD.csv", YAHOO_HEADER + "2025-01-24,1,1,1,1,0,1\n")
    source = DataPackSource(tmp_path)
    with caplog.at_level(logging.WARNING, logger="analytics.data.sources.files"):
        result = source.get(["NVDA", "BAD"], pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-31"))
    assert result.prices["adj_close"].tolist() == [142.41, 118.24]
    # BAD.csv holds only an invalid row: BAD is in the pack, without usable prices.
    assert result.missing == {"BAD": "no prices in data pack between 2025-01-01 and 2025-01-31"}
    assert (
        "NVDA.csv: skipped 1 invalid rows (first: row 4, adj_close is zero or negative)"
        in caplog.text
    )
    assert "BAD.csv: skipped 1 invalid rows" in caplog.text


def test_data_pack_source_on_the_us_pack_reports_missing_tickers() -> None:
    source = DataPackSource(US_PACK)
    universe = (
        pq.read_table(DEEPSEEK_PACK, columns=["ticker"]).column("ticker").unique().to_pylist()
    )
    result = source.get(
        [*universe, "ZZZZ", "CRWV", "CBIO"], pd.Timestamp("2023-01-01"), pd.Timestamp("2024-12-31")
    )
    # The two packs hold the same adjusted closes, so the small one is an independent oracle.
    expected = _pack_rows(DEEPSEEK_PACK, universe, "2023-01-01", "2024-12-31")
    got = result.prices[result.prices["ticker"].isin(universe)].reset_index(drop=True)
    assert len(got) == len(expected) == 65_372
    pd.testing.assert_frame_equal(got[["ticker", "date", "adj_close"]], expected, check_dtype=False)
    span = "between 2023-01-01 and 2024-12-31"
    assert result.missing == {
        "ZZZZ": f"not in data pack {US_PACK}",
        "CRWV": f"no prices in data pack {span}",  # listed 2025-03-28
    }
    # CBIO's Yahoo-adjusted closes are negative through 2022-09: 252 + 253 rows in 2019-2020.
    negative = source.get(["CBIO"], pd.Timestamp("2019-01-01"), pd.Timestamp("2020-12-31"))
    assert negative.prices.empty
    span = "between 2019-01-01 and 2020-12-31"
    assert negative.missing == {"CBIO": f"no prices in data pack {span} (505 invalid rows dropped)"}


def test_data_pack_source_over_the_shared_directory_uses_the_longer_history() -> None:
    source = DataPackSource(MARKET_DATA)
    result = source.get(["NVDA"], pd.Timestamp("2018-01-01"), pd.Timestamp("2018-01-31"))
    # The DeepSeek pack starts in 2022; NVDA must come whole from the US pack (from 2018).
    expected = ds.dataset(US_PACK).to_table(
        filter=(ds.field("ticker") == "NVDA") & (ds.field("date") <= dt.date(2018, 1, 31))
    )
    assert len(result.prices) == expected.num_rows == 21  # XNYS sessions in January 2018
    np.testing.assert_allclose(result.prices["adj_close"], expected.column("adj_close").to_numpy())
