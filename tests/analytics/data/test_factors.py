"""Factor tables: Kenneth French's zips (built in the library's format), user files, ETF proxies."""

from __future__ import annotations

import io
import logging
import urllib.error
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.data import factors
from analytics.data.factors import (
    FRENCH_BASE_URL,
    etf_proxy_factors,
    factor_columns,
    french_factors,
    load_factors,
    read_factor_file,
)
from analytics.errors import DataError, SourceError, SpecError
from tests.support import DEEPSEEK_PACK, serving

# The layout of the data library's daily CSVs: description lines, a header whose first field is
# empty, YYYYMMDD rows in percent, then (in some files) an annual section and a copyright line.
FF3_CSV = """\
This file was created by CMPT_ME_BEME_RETS_DAILY using the 202412 CRSP database.
The 1-month TBill return is from Ibbotson and Associates Inc.

,Mkt-RF,SMB,HML,RF
20250123,    0.53,   -0.21,    0.40,    0.017
20250124,   -0.36,    0.12,    0.08,    0.017
20250127,   -1.52,    1.63,    1.87,    0.017
20250128,    0.96,   -0.53,   -1.33,    0.017

 Annual Factors: January-December
,Mkt-RF,SMB,HML,RF
  2024,   19.92,   -7.67,   -5.45,    5.07

Copyright 2025 Kenneth R. French
"""
FF5_CSV = """\
This file was created by CMPT_ME_BEME_OP_INV_RETS_DAILY using the 202412 CRSP database.
The 1-month TBill return is from Ibbotson and Associates Inc.

,Mkt-RF,SMB,HML,RMW,CMA,RF
20250124,   -0.36,    0.10,    0.08,   0.25,  -0.04,    0.017
20250127,   -1.52,    1.45,    1.87,   1.21,   0.98,    0.017

Copyright 2025 Kenneth R. French
"""
MOM_CSV = """\
This file was created by CMPT_ME_PRIOR_RETS_DAILY using the 202412 CRSP database.
It contains a momentum factor, constructed from six value-weight portfolios formed using \
independent sorts on size and prior return of NYSE, AMEX, and NASDAQ stocks.
Missing data are indicated by -99.99 or -999.


,Mom\x20\x20\x20
20250124,  -99.99
20250127,   -3.18
20250128,    1.02
20250129,    0.11

Copyright 2025 Kenneth R. French
"""  # the library pads "Mom" with spaces (\x20)

FF3_ZIP = "F-F_Research_Data_Factors_daily_CSV.zip"
FF5_ZIP = "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip"
MOM_ZIP = "F-F_Momentum_Factor_daily_CSV.zip"


def _zip(member: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, text.replace("\n", "\r\n"))
    return buffer.getvalue()


LIBRARY = {
    FRENCH_BASE_URL + FF3_ZIP: _zip("F-F_Research_Data_Factors_daily.CSV", FF3_CSV),
    FRENCH_BASE_URL + FF5_ZIP: _zip("F-F_Research_Data_5_Factors_2x3_daily.CSV", FF5_CSV),
    FRENCH_BASE_URL + MOM_ZIP: _zip("F-F_Momentum_Factor_daily.CSV", MOM_CSV),
}


class FakeLibrary:
    """An injectable download serving LIBRARY and recording the URLs asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return LIBRARY[url]


def _unreachable(url: str) -> bytes:
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


def _dates(*days: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(days), name="date")


# --- Kenneth French's data library ------------------------------------------------------------


def test_ff3_percent_to_decimal_and_dates() -> None:
    out = french_factors("ff3", cache_dir=None, download=FakeLibrary())
    expected = pd.DataFrame(
        {
            "MKT_RF": [0.0053, -0.0036, -0.0152, 0.0096],
            "SMB": [-0.0021, 0.0012, 0.0163, -0.0053],
            "HML": [0.0040, 0.0008, 0.0187, -0.0133],
            "RF": [0.00017] * 4,
        },
        index=_dates("2025-01-23", "2025-01-24", "2025-01-27", "2025-01-28"),
    )
    pd.testing.assert_frame_equal(out, expected, rtol=1e-14)


def test_ff5_columns() -> None:
    out = french_factors("ff5", cache_dir=None, download=FakeLibrary())
    assert list(out.columns) == ["MKT_RF", "SMB", "HML", "RMW", "CMA", "RF"]
    assert out.loc["2025-01-27", "CMA"] == pytest.approx(0.0098, rel=1e-14)
    assert out.loc["2025-01-24", "RMW"] == pytest.approx(0.0025, rel=1e-14)


def test_carhart_joins_momentum_on_common_dates() -> None:
    library = FakeLibrary()
    out = french_factors("carhart", cache_dir=None, download=library)
    assert library.urls == [FRENCH_BASE_URL + FF3_ZIP, FRENCH_BASE_URL + MOM_ZIP]
    assert list(out.columns) == ["MKT_RF", "SMB", "HML", "MOM", "RF"]
    assert out.index.equals(_dates("2025-01-24", "2025-01-27", "2025-01-28"))
    assert np.isnan(out["MOM"].to_numpy()[0])  # -99.99 marks a missing value
    assert out.loc["2025-01-27", "MOM"] == pytest.approx(-0.0318, rel=1e-14)


def test_cache_is_written_once_and_reused_offline(tmp_path: Path) -> None:
    first = french_factors("carhart", cache_dir=tmp_path, download=FakeLibrary())
    cached = sorted(p.name for p in (tmp_path / "factors").iterdir())
    assert cached == sorted([FF3_ZIP, MOM_ZIP])  # no temporary file left behind
    assert (tmp_path / "factors" / FF3_ZIP).read_bytes() == LIBRARY[FRENCH_BASE_URL + FF3_ZIP]
    again = french_factors("carhart", cache_dir=tmp_path, download=_unreachable)
    pd.testing.assert_frame_equal(again, first)


def test_refresh_downloads_despite_the_cache(tmp_path: Path) -> None:
    french_factors("ff3", cache_dir=tmp_path, download=FakeLibrary())
    library = FakeLibrary()
    french_factors("ff3", cache_dir=tmp_path, download=library, refresh=True)
    assert library.urls == [FRENCH_BASE_URL + FF3_ZIP]


def test_unreachable_library(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        french_factors("ff5", cache_dir=tmp_path, download=_unreachable)
    assert str(info.value).startswith(
        "Kenneth French's data library is unreachable; give a factor file (factors) or use model "
        "etf_factors"
    )
    assert info.value.parameter == "factors"
    assert not (tmp_path / "factors").exists()


def test_default_download_turns_refused_connection_into_source_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(factors, "FRENCH_BASE_URL", "http://127.0.0.1:9/")
    with pytest.raises(SourceError, match="unreachable"):
        french_factors("ff3", cache_dir=None)


@pytest.fixture
def local_library(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """LIBRARY served over HTTP on localhost, for the default urllib download."""
    pages = {f"/ftp/{url.removeprefix(FRENCH_BASE_URL)}": data for url, data in LIBRARY.items()}
    with serving(pages) as base:
        monkeypatch.setattr(factors, "FRENCH_BASE_URL", f"{base}/ftp/")
        yield


@pytest.mark.usefixtures("local_library")
def test_default_download_over_http(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="analytics.data.factors"):
        out = french_factors("ff3", cache_dir=None)
    assert out.loc["2025-01-27", "SMB"] == pytest.approx(0.0163, rel=1e-14)
    assert [r.getMessage() for r in caplog.records if "downloading" in r.getMessage()] == [
        f"factors: downloading {factors.FRENCH_BASE_URL}{FF3_ZIP}"
    ]


def test_garbage_answer_is_a_source_error_and_not_cached(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="did not return a factor file"):
        french_factors("ff3", cache_dir=tmp_path, download=lambda url: b"<html>busy</html>")
    assert not (tmp_path / "factors" / FF3_ZIP).exists()


def test_corrupt_cache_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "factors").mkdir()
    (tmp_path / "factors" / FF3_ZIP).write_bytes(b"truncated")
    with pytest.raises(DataError, match="delete the cached file"):
        french_factors("ff3", cache_dir=tmp_path, download=_unreachable)


def test_monthly_file_is_rejected(tmp_path: Path) -> None:
    monthly = ",Mkt-RF,SMB,HML,RF\n202501,    2.80,   -0.41,    1.63,    0.37\n"
    path = tmp_path / "F-F_Research_Data_Factors_CSV.zip"
    path.write_bytes(_zip("F-F_Research_Data_Factors.CSV", monthly))
    with pytest.raises(DataError, match="no daily table"):
        read_factor_file(path)


# --- user files --------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_decimal_csv_with_iso_dates(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "f.csv",
        "date,mkt-rf,SMB,HML,RF\n2025-01-27,-0.0152,0.0163,0.0187,0.00017\n"
        "2025-01-24,-0.0036,0.0012,0.0008,0.00017\n",
    )
    out = read_factor_file(path)
    expected = pd.DataFrame(
        {
            "MKT_RF": [-0.0036, -0.0152],
            "SMB": [0.0012, 0.0163],
            "HML": [0.0008, 0.0187],
            "RF": [0.00017, 0.00017],
        },
        index=_dates("2025-01-24", "2025-01-27"),
    )
    pd.testing.assert_frame_equal(out, expected)


def test_read_percent_csv_detected_and_forced(tmp_path: Path) -> None:
    path = _write(tmp_path, "p.csv", "Date,Mkt-RF,Mom\n20250127,-1.52,-3.18\n20250128,0.96,1.02\n")
    detected = read_factor_file(path)
    assert detected.index.equals(_dates("2025-01-27", "2025-01-28"))
    assert detected["MOM"].tolist() == pytest.approx([-0.0318, 0.0102], rel=1e-14)
    pd.testing.assert_frame_equal(read_factor_file(path, percent=True), detected)
    as_given = read_factor_file(path, percent=False)
    assert as_given["MKT_RF"].tolist() == [-1.52, 0.96]


def test_read_parquet_with_date_index(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"MKT_RF": [0.001, -0.002], "SMB": [0.0005, 0.0]},
        index=pd.DatetimeIndex(["2025-01-27", "2025-01-28"], name="date"),
    )
    frame.to_parquet(tmp_path / "f.parquet")
    pd.testing.assert_frame_equal(read_factor_file(tmp_path / "f.parquet"), frame)


def test_read_french_files_zipped_or_not(tmp_path: Path) -> None:
    expected = french_factors("ff3", cache_dir=None, download=FakeLibrary())
    csv = _write(tmp_path, "F-F_Research_Data_Factors_daily.CSV", FF3_CSV)
    zipped = tmp_path / FF3_ZIP
    zipped.write_bytes(LIBRARY[FRENCH_BASE_URL + FF3_ZIP])
    pd.testing.assert_frame_equal(read_factor_file(csv), expected)
    pd.testing.assert_frame_equal(read_factor_file(zipped), expected)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("nodate.csv", "day,MKT_RF\n2025-01-27,0.01\n", "no date column"),
        ("baddate.csv", "date,MKT_RF\n2025-01-27,0.01\nsoon,0.02\n", "unparseable date 'soon'"),
        ("dup.csv", "date,MKT_RF\n2025-01-27,0.01\n2025-01-27,0.02\n", "duplicate date"),
        ("text.csv", "date,MKT_RF,SMB\n2025-01-27,0.01,n/a?\n", "column SMB is not numeric"),
        ("only.csv", "date\n2025-01-27\n", "no factor column"),
        ("prose.txt", "just some words\n", "no date column"),
        ("bad.parquet", "not parquet", "not a readable Parquet file"),
        ("bad.zip", "not a zip", "not a zip file"),
    ],
)
def test_bad_factor_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        read_factor_file(_write(tmp_path, name, text))


def test_missing_factor_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_factor_file(tmp_path / "nope.csv")


# --- ETF proxies on real prices ----------------------------------------------------------------


@pytest.fixture(scope="module")
def etf_prices() -> pd.DataFrame:
    if not DEEPSEEK_PACK.is_file():
        pytest.fail(f"shared DeepSeek pack not found at {DEEPSEEK_PACK}; set AFTERSHOCK_SHARED")
    long = pd.read_parquet(
        DEEPSEEK_PACK, filters=[("ticker", "in", list(factors.ETF_PROXY_TICKERS))]
    )
    return long.pivot(index="date", columns="ticker", values="adj_close")


def test_etf_proxies_on_deepseek_monday(etf_prices: pd.DataFrame) -> None:
    out = etf_proxy_factors(etf_prices)
    day = pd.Timestamp("2025-01-27")
    rows = etf_prices.set_axis(pd.to_datetime(etf_prices.index), axis=0).loc["2025-01-24":day]
    ret = rows.iloc[1] / rows.iloc[0] - 1.0
    # The return earned over Monday uses the T-bill yield quoted at Friday's close.
    rf = (1.0 + rows.iloc[0]["^IRX"] / 100.0) ** (1.0 / 252.0) - 1.0
    assert ret["SPY"] == pytest.approx(-0.0141, abs=5e-5)  # README: SPY fell 1.41%
    got = out.loc[day]
    assert got["SMB"] == pytest.approx(ret["IWM"] - ret["SPY"], rel=1e-12)
    assert got["HML"] == pytest.approx(ret["IVE"] - ret["IVW"], rel=1e-12)
    assert got["MOM"] == pytest.approx(ret["MTUM"] - ret["SPY"], rel=1e-12)
    assert got["RF"] == pytest.approx(rf, rel=1e-12)
    assert got["MKT_RF"] == pytest.approx(ret["SPY"] - rf, rel=1e-12)
    assert list(out.columns) == [*factor_columns("etf_factors"), "RF"]
    assert out.index.name == "date" and isinstance(out.index, pd.DatetimeIndex)
    assert out.iloc[0].isna().all() and out.iloc[1:].notna().all().all()


def test_etf_proxies_missing_inputs(etf_prices: pd.DataFrame) -> None:
    prices = etf_prices.iloc[:6].copy()
    prices.loc[prices.index[3], "IVW"] = np.nan
    out = etf_proxy_factors(prices)
    assert out.iloc[[0, 3, 4]].isna().all().all()  # day 3 lacks IVW, day 4 its previous close
    assert out.iloc[[1, 2, 5]].notna().all().all()
    no_rate = etf_proxy_factors(prices.drop(columns="^IRX"))
    spy = prices["SPY"].to_numpy()
    assert no_rate["RF"].iloc[1] == 0.0
    assert no_rate["MKT_RF"].iloc[1] == pytest.approx(spy[1] / spy[0] - 1.0, rel=1e-14)
    with pytest.raises(DataError, match="missing IWM, MTUM"):
        etf_proxy_factors(prices.drop(columns=["IWM", "MTUM"]))


# --- model names and the front door -----------------------------------------------------------


def test_factor_columns() -> None:
    assert factor_columns("ff3") == ["MKT_RF", "SMB", "HML"]
    assert factor_columns("ff5") == ["MKT_RF", "SMB", "HML", "RMW", "CMA"]
    assert factor_columns("carhart") == ["MKT_RF", "SMB", "HML", "MOM"]
    assert factor_columns("etf_factors") == ["MKT_RF", "SMB", "HML", "MOM"]
    with pytest.raises(SpecError, match="model='capm'"):
        factor_columns("capm")  # type: ignore[arg-type]


def test_load_factors_sources(tmp_path: Path, etf_prices: pd.DataFrame) -> None:
    download: Callable[[str], bytes] = FakeLibrary()
    ff3 = load_factors("ff3", cache_dir=tmp_path, download=download)
    assert list(ff3.columns) == ["MKT_RF", "SMB", "HML", "RF"]
    etf = load_factors("etf_factors", prices_wide=etf_prices)
    pd.testing.assert_frame_equal(etf, etf_proxy_factors(etf_prices))
    path = _write(tmp_path, "mine.csv", "date,RF,HML,SMB,MKT_RF,extra\n2025-01-27,0,1,2,3,4\n")
    mine = load_factors("ff3", path=path, percent=False)
    assert list(mine.columns) == ["MKT_RF", "SMB", "HML", "RF"]
    assert mine.iloc[0].tolist() == [3.0, 2.0, 1.0, 0.0]


def test_load_factors_errors(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="needs prices_wide"):
        load_factors("etf_factors")
    path = _write(tmp_path, "ff3.csv", "date,MKT_RF,SMB,HML\n2025-01-27,0.01,0.0,0.0\n")
    with pytest.raises(DataError, match="needs factor column"):
        load_factors("ff5", path=path)
    with pytest.raises(SourceError, match="unreachable"):
        load_factors("carhart", cache_dir=tmp_path, download=_unreachable)
