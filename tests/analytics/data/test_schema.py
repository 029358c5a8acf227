"""The tidy price schema: strict validate_prices and lenient split_invalid share their rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest

from analytics.data.schema import PRICE_COLUMNS, empty_prices, split_invalid, validate_prices
from analytics.errors import DataError
from tests.support import DEEPSEEK_PACK, US_PACK


def _frame(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "ticker": ["AAA", "AAA", "BBB"],
        "date": ["2024-01-02", "2024-01-03", "2024-01-02"],
        "adj_close": [10.0, 11.0, 20.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_normalizes_names_case_order_and_optional_columns() -> None:
    frame = pd.DataFrame(
        {
            "Ticker": [" bbb", "aaa", "aaa"],
            "Date": ["2024-01-02", "2024-01-03", "2024-01-02"],
            "Adj Close": ["20.5", "11", "10"],
            "Volume": [100, 0, None],
        }
    )
    out = validate_prices(frame, origin="t")
    assert list(out.columns) == list(PRICE_COLUMNS)
    assert out["ticker"].tolist() == ["AAA", "AAA", "BBB"]
    assert (
        out["date"].tolist() == pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-02"]).tolist()
    )
    assert out["adj_close"].tolist() == [10.0, 11.0, 20.5]
    np.testing.assert_array_equal(out["volume"].to_numpy(), [np.nan, 0.0, 100.0])
    assert out[["open", "high", "low", "close"]].isna().all().all()
    assert out["date"].dtype == "datetime64[ns]"
    assert out["ticker"].dtype == empty_prices()["ticker"].dtype
    assert out.dtypes.to_dict() == empty_prices().dtypes.to_dict()


def test_timestamps_keep_the_exchange_local_date() -> None:
    aware = pd.DatetimeIndex(["2024-01-02 00:00", "2024-07-01 00:00"], tz="America/New_York")
    text = ["2024-01-02 00:00:00-05:00", "2024-07-01T00:00:00-04:00"]
    expected = pd.to_datetime(["2024-01-02", "2024-07-01"]).tolist()
    for dates in (aware, text):
        frame = pd.DataFrame({"ticker": ["A", "A"], "date": dates, "adj_close": [1.0, 2.0]})
        assert validate_prices(frame, origin="t")["date"].tolist() == expected


@pytest.mark.parametrize(
    ("column", "value", "problem", "shown"),
    [
        ("adj_close", np.nan, "adj_close is missing or infinite", "got nan"),
        ("adj_close", np.inf, "adj_close is missing or infinite", "got inf"),
        ("adj_close", 0.0, "adj_close is zero or negative", "got 0.0"),
        ("adj_close", -1.5, "adj_close is zero or negative", "got -1.5"),
        ("adj_close", "abc", "adj_close is not a number", "got 'abc'"),
        ("date", "2024-13-01", "date is not a date (use YYYY-MM-DD)", "got '2024-13-01'"),
        ("date", "01/03/2024", "date is not a date (use YYYY-MM-DD)", "got '01/03/2024'"),
        ("ticker", "  ", "ticker is empty", "got '  '"),
        ("open", -2.0, "open is zero or negative", "got -2.0"),
        ("volume", -5.0, "volume is negative or infinite", "got -5.0"),
    ],
)
def test_strict_names_origin_column_row_ticker_date_and_fix(
    column: str, value: object, problem: str, shown: str
) -> None:
    frame = _frame()
    values = frame[column].tolist() if column in frame else [np.nan] * len(frame)
    values[1] = value
    frame[column] = pd.Series(values, dtype=object)
    with pytest.raises(DataError) as info:
        validate_prices(frame, origin="prices.csv", first_row=2)
    message = str(info.value)
    # first_row=2: the second data row of a CSV file is line 3.
    assert message.startswith("prices.csv: row 3 (ticker ")
    assert f"column {problem}, {shown}" in message
    assert "drop_invalid=True" in message
    valid, invalid = split_invalid(frame, origin="prices.csv", first_row=2)
    assert invalid["row"].tolist() == [3]
    assert invalid["reason"].tolist() == [problem]
    assert len(valid) == 2


def test_strict_reports_the_first_bad_row_and_the_total() -> None:
    frame = _frame(adj_close=[10.0, -1.0, 0.0])
    with pytest.raises(
        DataError, match=r"row 2 \(ticker 'AAA', date '2024-01-03'\).*2 invalid rows"
    ):
        validate_prices(frame, origin="x")


def test_missing_and_repeated_columns_raise_even_when_lenient() -> None:
    frame = pd.DataFrame({"symbol": ["A"], "date": ["2024-01-02"], "close": [1.0]})
    for check in (validate_prices, split_invalid):
        with pytest.raises(
            DataError, match=r"x: missing column\(s\) ticker, adj_close; found symbol, date, close"
        ):
            check(frame, origin="x")
    repeated = pd.DataFrame(
        [["A", "2024-01-02", 1.0, 1.0]], columns=["ticker", "date", "Adj Close", "adj_close"]
    )
    with pytest.raises(DataError, match="adj_close appear more than once"):
        validate_prices(repeated, origin="x")


def test_yields_and_indices_may_be_zero_or_negative_but_not_missing() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["^IRX", "^IRX", "^IRX", "^IRX", "IRX"],
            "date": ["2020-04-01", "2020-04-02", "2020-04-03", "2020-04-06", "2020-04-01"],
            "adj_close": [0.0, -0.028, 0.1, np.nan, -0.028],
        }
    )
    valid, invalid = split_invalid(frame, origin="x")
    assert valid["ticker"].tolist() == ["^IRX", "^IRX", "^IRX"]
    np.testing.assert_allclose(valid["adj_close"].to_numpy(), [0.0, -0.028, 0.1])
    assert invalid[["ticker", "reason"]].values.tolist() == [
        ["^IRX", "adj_close is missing or infinite"],
        ["IRX", "adj_close is zero or negative"],
    ]


def test_duplicates_strict_rejects_lenient_keeps_the_first() -> None:
    frame = pd.DataFrame(
        {
            "ticker": ["AAA", "AAA", "aaa", "AAA", "BBB"],
            "date": ["2024-01-02", "2024-01-03", "2024-01-02", "2024-01-02", "2024-01-02"],
            "adj_close": [10.0, 11.0, 10.0, 12.0, 20.0],
        }
    )
    with pytest.raises(DataError, match=r"row 3 .*repeats an earlier row .*first seen at row 1"):
        validate_prices(frame, origin="x")
    valid, invalid = split_invalid(frame, origin="x")
    assert valid[["ticker", "adj_close"]].values.tolist() == [
        ["AAA", 10.0],
        ["AAA", 11.0],
        ["BBB", 20.0],
    ]
    assert invalid["row"].tolist() == [3, 4]
    assert invalid["reason"].tolist() == [
        "date repeats an earlier row of this ticker (identical)",
        "date repeats an earlier row of this ticker (different values)",
    ]


def test_a_repeat_of_an_invalid_row_is_not_a_duplicate() -> None:
    frame = pd.DataFrame(
        {"ticker": ["A", "A"], "date": ["2024-01-02", "2024-01-02"], "adj_close": [np.nan, 5.0]}
    )
    valid, invalid = split_invalid(frame, origin="x")
    assert valid["adj_close"].tolist() == [5.0]
    assert invalid["reason"].tolist() == ["adj_close is missing or infinite"]


def test_lenient_valid_part_equals_strict_on_the_valid_rows() -> None:
    rng = np.random.default_rng(7)
    n = 400
    frame = pd.DataFrame(
        {
            "ticker": rng.choice(["A", "B", "C", "^X"], n),
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D"),
            "adj_close": rng.normal(5.0, 4.0, n),
        }
    )
    valid, invalid = split_invalid(frame, origin="x")
    # Independent oracle: pandas' own duplicate detection on the rows that pass the price rule.
    priced = frame[(frame["adj_close"] > 0) | frame["ticker"].str.startswith("^")]
    expected = priced.drop_duplicates(["ticker", "date"], keep="first")
    assert len(valid) == len(expected)
    assert len(invalid) == n - len(expected)
    strict = validate_prices(expected, origin="x")
    pd.testing.assert_frame_equal(valid, strict)
    assert valid.set_index(["ticker", "date"]).index.is_monotonic_increasing


def test_all_tickers_missing() -> None:
    frame = pd.DataFrame(
        {"ticker": [None, ""], "date": ["2024-01-02"] * 2, "adj_close": [1.0, 2.0]}
    )
    valid, invalid = split_invalid(frame, origin="x")
    assert valid.empty
    assert invalid["reason"].tolist() == ["ticker is empty"] * 2


def test_empty_frame_gives_an_empty_schema_frame() -> None:
    frame = pd.DataFrame({"ticker": [], "date": [], "adj_close": []})
    out = validate_prices(frame, origin="x")
    assert out.empty
    assert list(out.columns) == list(PRICE_COLUMNS)
    valid, invalid = split_invalid(frame, origin="x")
    assert valid.empty
    assert invalid.empty


def test_deepseek_pack_is_valid() -> None:
    table = ds.dataset(DEEPSEEK_PACK).to_table()
    out = validate_prices(table.to_pandas(), origin=DEEPSEEK_PACK.name)
    assert len(out) == 149_625
    assert out["ticker"].nunique() == 132


def test_us_pack_defects_are_negative_adjusted_prices_only() -> None:
    field = ds.field("ticker")
    table = ds.dataset(US_PACK).to_table(filter=field.isin(["CBIO", "DEC", "VATE", "^IRX", "^TNX"]))
    adj = table.column("adj_close")
    # Independent count with Arrow compute: non-positive adjusted closes of non-yield symbols.
    not_yield = pc.invert(pc.starts_with(table.column("ticker"), "^"))
    expected = pc.sum(pc.and_(pc.less_equal(adj, 0), not_yield).cast("int64")).as_py()
    assert expected == 2515  # 2,522 non-positive rows in the pack minus 7 negative ^IRX yields
    with pytest.raises(DataError, match=r"us: row .* column adj_close is zero or negative"):
        validate_prices(table.to_pandas(), origin="us")
    valid, invalid = split_invalid(table.to_pandas(), origin="us")
    assert len(invalid) == expected
    assert set(invalid["ticker"]) == {"CBIO", "DEC", "VATE"}
    assert len(valid) + len(invalid) == table.num_rows
    assert valid.loc[valid["ticker"] == "^IRX", "adj_close"].min() < 0
