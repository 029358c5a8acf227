"""``aftershock study --model``: the thin-trading, GARCH and any-file factor models end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics import calendar
from app.cli.main import main
from tests.support import DEEPSEEK_PACK, MARKET_DATA

DAY0 = pd.Timestamp("2025-01-27")


def _study(run, tmp_path: Path, *flags: str) -> dict:
    out = tmp_path / "out.json"
    result = run(
        "study", "--event-date", "2025-01-27", "--tickers", "NVDA,MSFT", "--placebo", "0",
        "--json", str(out), *flags,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def _factor_file(path: Path, columns: list[str], *, seed: int = 1) -> pd.DataFrame:
    """Seeded daily factor returns with arbitrary column names (decimal) and RF."""
    days = calendar.sessions(pd.Timestamp("2023-11-01"), pd.Timestamp("2025-03-31"))
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(rng.normal(0, 0.008, (len(days), len(columns))), columns=columns)
    table.insert(0, "date", days.strftime("%Y-%m-%d"))
    table["RF"] = 0.0001
    table.to_csv(path, index=False)
    return table


def test_dimson_lags_reach_the_json_and_the_summary(run, tmp_path: Path) -> None:
    doc = _study(run, tmp_path, "--model", "dimson", "--dimson-lags", "2")
    assert doc["model"] == "dimson" and doc["dimson_lags"] == 2
    firms = {f["ticker"]: f for f in doc["firms"]}
    assert firms["NVDA"]["status"] == "ok" and set(firms["NVDA"]) >= {"alpha", "beta", "sigma"}
    summary = run(
        "study", "--event-date", "2025-01-27", "--tickers", "NVDA", "--placebo", "0",
        "--model", "dimson", "--dimson-lags", "2",
    )  # fmt: skip
    assert "Dimson (1979) beta, the sum of the betas on R_m,t-2 .. R_m,t+2" in summary.output


def test_scholes_williams_differs_from_the_market_model(run, tmp_path: Path) -> None:
    sw = _study(run, tmp_path, "--model", "scholes_williams")
    market = _study(run, tmp_path, "--model", "market")
    betas = [{f["ticker"]: f["beta"] for f in doc["firms"]} for doc in (sw, market)]
    assert betas[0]["NVDA"] != pytest.approx(betas[1]["NVDA"], rel=1e-6)


def test_garch_json_carries_the_volatility_parameters(run, tmp_path: Path) -> None:
    doc = _study(run, tmp_path, "--model", "garch")
    nvda = next(f for f in doc["firms"] if f["ticker"] == "NVDA")
    assert nvda["status"] == "ok"
    assert {"alpha", "beta", "vol_omega", "vol_alpha", "vol_beta"} <= nvda.keys()
    assert 0 <= nvda["vol_alpha"] < 1 and 0 <= nvda["vol_beta"] < 1
    day0 = next(d for d in doc["days"] if d["ticker"] == "NVDA" and d["day"] == 0)
    assert day0["sar"] == pytest.approx(day0["ar"] / day0["var_ar"] ** 0.5, rel=1e-12)


def test_factors_model_takes_any_columns_of_the_file(run, tmp_path: Path) -> None:
    path = tmp_path / "my-factors.csv"
    table = _factor_file(path, ["AI factor", "rates", "Oil-Shock"])
    doc = _study(run, tmp_path, "--model", "factors", "--factors", str(path))
    nvda = next(f for f in doc["firms"] if f["ticker"] == "NVDA")
    names = ["beta_AI_FACTOR", "beta_RATES", "beta_OIL_SHOCK"]
    assert nvda["status"] == "ok" and set(names) <= nvda.keys()
    # Independent path: pandas returns of the pack and statsmodels OLS of NVDA - RF.
    long = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "==", "NVDA")])
    prices = long.set_index(pd.DatetimeIndex(long["date"]))["adj_close"].sort_index()
    returns = prices.pct_change(fill_method=None)
    factors = table.set_index(pd.DatetimeIndex(table["date"])).drop(columns="date")
    pos = returns.index.get_loc(DAY0)
    est = returns.index[pos - 250 : pos - 10]
    y = returns.loc[est] - factors.loc[est, "RF"]
    x = sm.add_constant(factors.loc[est, ["AI factor", "rates", "Oil-Shock"]].to_numpy())
    ols = sm.OLS(y.to_numpy(), x).fit()
    got = [nvda["alpha"], *(nvda[n] for n in names)]
    np.testing.assert_allclose(got, ols.params, rtol=1e-9)
    assert nvda["dof"] == 240 - 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("day,F1\n2025-01-02,0.01\n", "no date column"),
        ("date,F1\n2025-01-02,abc\n", "column F1 is not numeric: 'abc'"),
        ("date,RF\n2025-01-02,0.0001\n", "no factor column beside the date and RF"),
        ("date,F1\n02/01/2025,0.01\n", "unparseable date"),
    ],
)
def test_a_malformed_factor_file_is_one_clear_error(
    content: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    path = tmp_path / "factors.csv"
    path.write_text(content)
    _one_line_error(
        ["--model", "factors", "--factors", str(path)], message, tmp_path, monkeypatch, capsys
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "factors"], "model factors regresses on the columns of a factor file"),
        (["--model", "dimson", "--dimson-lags", "0"], "dimson_lags: 0 must be between 1 and 10"),
        (["--model", "dimson", "--dimson-lags", "x"], "dimson_lags: 'x' is not a whole number"),
    ],
)
def test_model_option_errors_are_one_line(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _one_line_error(args, message, tmp_path, monkeypatch, capsys)


def _one_line_error(args, message, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AFTERSHOCK_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(MARKET_DATA))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")
    argv = ["aftershock", "study", "--event-date", "2025-01-27", "--tickers", "NVDA", *args]
    monkeypatch.setattr(sys, "argv", [*argv, "--placebo", "0"])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2, err
    assert message in err
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
