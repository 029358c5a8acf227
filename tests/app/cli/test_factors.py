"""`aftershock study --model ff3|ff5|carhart [--factors FILE]`: factor returns from a user's file or
from Kenneth French's data library cached in the store, never needing the network twice."""

from __future__ import annotations

import io
import json
import sys
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from typer.testing import CliRunner

from app.cli.main import cli, main
from tests.support import DEEPSEEK_PACK

DAY0 = pd.Timestamp("2025-01-27")
FF3_ZIP = "F-F_Research_Data_Factors_daily_CSV.zip"


def _factor_table(seed: int) -> pd.DataFrame:
    """Random daily factors (decimals) on every weekday around the DeepSeek day."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2023-06-01", "2025-03-31")
    return pd.DataFrame(
        {
            "date": dates,
            "Mkt-RF": rng.normal(0.0004, 0.01, len(dates)),
            "SMB": rng.normal(0.0, 0.006, len(dates)),
            "HML": rng.normal(0.0, 0.007, len(dates)),
            "RF": rng.uniform(0.00015, 0.0002, len(dates)),
        }
    )


def _french_zip(table: pd.DataFrame) -> bytes:
    """``table`` in the data library's daily format: description, header, percent rows."""
    lines = ["This file was created by a test.", "", ",Mkt-RF,SMB,HML,RF"]
    for row in table.itertuples(index=False):
        values = ",".join(f"{100 * v:.6f}" for v in row[1:])
        lines.append(f"{row[0]:%Y%m%d},{values}")
    lines += ["", "Copyright 2025 Test"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(FF3_ZIP.removesuffix(".zip").replace("_CSV", ".CSV"), "\n".join(lines))
    return buffer.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def run(store: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AFTERSHOCK_HOME", str(store))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(DEEPSEEK_PACK))
    monkeypatch.delenv("AFTERSHOCK_REFERENCE", raising=False)
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")

    def invoke(*args: str):
        return CliRunner().invoke(cli, ["study", *args], catch_exceptions=False)

    return invoke


def _nvda_ols(factors: pd.DataFrame) -> sm.regression.linear_model.RegressionResultsWrapper:
    """Independent oracle: statsmodels OLS of NVDA's excess return on the factors over the 240
    sessions -250..-11 before the DeepSeek day (XNYS sessions from exchange_calendars)."""
    prices = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "==", "NVDA")])
    close = prices.set_index(pd.to_datetime(prices["date"]))["adj_close"].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sessions = xcals.get_calendar("XNYS").sessions_in_range("2023-06-01", "2025-03-31")
    sessions = pd.DatetimeIndex(sessions).tz_localize(None)
    close = close.reindex(sessions)
    assert close.notna().all(), "NVDA has a price on every session of the span"
    returns = close / close.shift(1) - 1
    zero = int(sessions.searchsorted(DAY0))
    assert sessions[zero] == DAY0
    window = sessions[zero - 250 : zero - 10]
    table = factors.set_index("date").reindex(window)
    y = returns.reindex(window) - table["RF"]
    x = sm.add_constant(table[["Mkt-RF", "SMB", "HML"]])
    return sm.OLS(y.to_numpy(), x.to_numpy()).fit()


def test_ff3_from_a_factor_file_matches_statsmodels(run, tmp_path: Path) -> None:
    factors = _factor_table(seed=11)
    path = tmp_path / "factors.csv"
    factors.to_csv(path, index=False, date_format="%Y-%m-%d")
    out = tmp_path / "out.json"
    result = run(
        "--event-date", "2025-01-27", "--tickers", "NVDA,AMD", "--model", "ff3",
        "--factors", str(path), "--placebo", "0", "--json", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["model"] == "ff3"
    nvda = next(f for f in doc["firms"] if f["ticker"] == "NVDA")
    assert nvda["status"] == "ok" and nvda["n_estimation"] == 240
    fit = _nvda_ols(factors)
    alpha, b_mkt, b_smb, b_hml = fit.params
    # Same data and definition; only floating-point summation order differs.
    assert nvda["alpha"] == pytest.approx(alpha, rel=1e-9, abs=1e-12)
    assert nvda["beta_MKT_RF"] == pytest.approx(b_mkt, rel=1e-9)
    assert nvda["beta_SMB"] == pytest.approx(b_smb, rel=1e-9)
    assert nvda["beta_HML"] == pytest.approx(b_hml, rel=1e-9)
    assert nvda["sigma"] == pytest.approx(np.sqrt(fit.scale), rel=1e-9)


def test_french_library_is_downloaded_once_then_read_from_the_store(
    run, store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    factors = _factor_table(seed=12)
    payload = _french_zip(factors)
    calls: list[str] = []

    def fake_urlopen(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        calls.append(request.full_url)
        return io.BytesIO(payload)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "0")
    online, offline = tmp_path / "online.json", tmp_path / "offline.json"
    args = ["--event-date", "2025-01-27", "--tickers", "NVDA", "--model", "ff3", "--placebo", "0"]
    assert run(*args, "--json", str(online)).exit_code == 0
    assert [url.rsplit("/", 1)[-1] for url in calls] == [FF3_ZIP]
    assert (store / "factors" / FF3_ZIP).read_bytes() == payload

    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")
    result = run(*args, "--json", str(offline))
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    firm = json.loads(offline.read_text())["firms"][0]
    assert firm == json.loads(online.read_text())["firms"][0]
    # The file held percent values rounded to 1e-6 percent: loadings agree to that precision.
    assert firm["beta_MKT_RF"] == pytest.approx(_nvda_ols(factors).params[1], abs=1e-5)


def _one_error_line(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    monkeypatch.setattr(sys, "argv", ["aftershock", "study", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


BASE = ["--event-date", "2025-01-27", "--tickers", "NVDA", "--placebo", "0"]


@pytest.mark.parametrize("offline", ["1", "0"])
def test_unreachable_library_is_one_clear_line(
    run, offline: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def no_network(request: urllib.request.Request, timeout: float) -> io.BytesIO:
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", offline)
    err = _one_error_line([*BASE, "--model", "carhart"], monkeypatch, capsys)
    assert "unreachable" in err
    assert "factor file" in err and "model etf_factors" in err and "(--factors)" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "ff3", "--factors", "missing.csv"], "does not exist"),
        (["--model", "market", "--factors", "__FILE__"], "uses no factor returns"),
        (["--model", "ff5", "--factors", "__FILE__"], "needs factor column(s) RMW, CMA"),
    ],
)
def test_bad_factor_options(
    run, args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = tmp_path / "ff3.csv"
    _factor_table(seed=13).to_csv(path, index=False)
    args = [str(path) if a == "__FILE__" else a for a in args]
    assert message in _one_error_line([*BASE, *args], monkeypatch, capsys)
