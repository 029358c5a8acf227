"""The engine on real prices: the DeepSeek day (2025-01-27) from the shared data pack.

Golden figures come from the shared README (NVDA 142.41 -> 118.24, SPY -1.41%), and the market
model is recomputed here by an independent path (pandas returns, statsmodels OLS).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
import statsmodels.api as sm

from analytics import calendar
from analytics.data.factors import etf_proxy_factors
from analytics.data.memory import MemoryPrices
from analytics.data.reference import sp500_market_caps
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace
from tests.support import DEEPSEEK_PACK, REFERENCE, US_PACK

DAY0 = pd.Timestamp("2025-01-27")


def _wide(long: pd.DataFrame) -> pd.DataFrame:
    wide = long.pivot(index="date", columns="ticker", values="adj_close")
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


@pytest.fixture(scope="module")
def deepseek(shared_dir) -> pd.DataFrame:
    return _wide(pd.read_parquet(DEEPSEEK_PACK))


@pytest.fixture(scope="module")
def result(deepseek):
    firms = [t for t in deepseek.columns if not t.startswith("^") and t != "SPY"]
    return run_study(StudySpec.create(tickers=firms, date="2025-01-27"), MemoryPrices(deepseek))


def test_nvda_and_spy_day0_returns_match_the_readme(deepseek) -> None:
    spec = StudySpec.create(tickers="NVDA", date="2025-01-27", model="market_adjusted")
    days = run_study(spec, MemoryPrices(deepseek)).days.set_index("day")
    assert days.loc[0, "date"] == DAY0
    assert days.loc[0, "ret"] == pytest.approx(118.24 / 142.41 - 1, abs=1e-4)  # -16.97%
    assert days.loc[0, "expected"] == pytest.approx(-0.0141, abs=1e-4)  # SPY -1.41%


def test_nvda_market_model_car_by_an_independent_path(result) -> None:
    long = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "in", ["NVDA", "SPY"])])
    prices = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    returns = prices.pct_change(fill_method=None)
    pos = returns.index.get_loc(pd.Timestamp("2025-01-27").date())
    est = returns.iloc[pos - 250 : pos - 10]
    design = sm.add_constant(est["SPY"].to_numpy())
    ols = sm.OLS(est["NVDA"].to_numpy(), design).fit()
    window = returns.iloc[pos - 1 : pos + 2]
    star = sm.add_constant(window["SPY"].to_numpy())
    ar = window["NVDA"].to_numpy() - star @ ols.params
    var_car = (ols.scale * (np.eye(3) + star @ np.linalg.inv(design.T @ design) @ star.T)).sum()

    firm = result.firms.set_index("ticker").loc["NVDA"]
    assert firm["n_estimation"] == 240
    assert firm["alpha"] == pytest.approx(ols.params[0], rel=1e-10)
    assert firm["beta"] == pytest.approx(ols.params[1], rel=1e-10)
    assert firm["sigma"] == pytest.approx(math.sqrt(ols.scale), rel=1e-10)
    w = result.windows.set_index(["ticker", "window"]).loc[("NVDA", "-1:1")]
    assert w["car"] == pytest.approx(ar.sum(), rel=1e-10)
    assert w["var_car"] == pytest.approx(var_car, rel=1e-10)
    assert w["car"] < -0.05  # the sell-off survives the market adjustment


def test_universe_aggregates_are_consistent(result) -> None:
    assert result.day0 == "2025-01-27"
    firms = result.firms.set_index("ticker")
    assert (firms["status"] == "ok").sum() >= 120
    assert firms.loc["CEG", "status"] == "ok"  # listed in Jan 2022: enough history by 2025
    w = result.windows
    for key in ("0:0", "-1:1", "-5:5"):
        mine = w[(w["window"] == key) & (w["status"] == "ok")]
        row = result.aggregate.set_index("window").loc[key]
        assert row["n"] == len(mine)
        assert row["caar"] == pytest.approx(mine["car"].mean(), rel=1e-12)
    day0 = result.aggregate.set_index("window").loc["0:0", "caar"]
    assert day0 < -0.01  # an AI-heavy universe fell harder than its market-model normal


def test_etf_factor_model_on_the_pack(deepseek) -> None:
    spec = StudySpec.create(tickers="NVDA", date="2025-01-27", model="etf_factors")
    firm = Workspace(MemoryPrices(deepseek)).run(spec).firms.iloc[0]
    factors = etf_proxy_factors(deepseek[["SPY", "IWM", "IVE", "IVW", "MTUM", "^IRX"]])
    y = deepseek["NVDA"].pct_change(fill_method=None) - factors["RF"]
    pos = deepseek.index.get_loc(DAY0)
    x = factors[["MKT_RF", "SMB", "HML", "MOM"]].iloc[pos - 250 : pos - 10]
    ols = sm.OLS(y.iloc[pos - 250 : pos - 10].to_numpy(), sm.add_constant(x.to_numpy())).fit()
    got = firm[["alpha", "beta_MKT_RF", "beta_SMB", "beta_HML", "beta_MOM"]].to_numpy(float)
    np.testing.assert_allclose(got, ols.params, rtol=1e-9)
    assert firm["dof"] == 240 - 5


@pytest.mark.slow
def test_us_pack_spike_is_excluded(shared_dir) -> None:
    # PPCB's adjusted close goes 0.010 -> 625.0 on 2025-01-29 (x62,500, never reversed)
    table = ds.dataset(US_PACK).to_table(filter=ds.field("ticker").isin(["PPCB", "SPY", "AAPL"]))
    wide = _wide(table.to_pandas())
    spec = StudySpec.create(tickers="PPCB AAPL", date="2025-03-03")
    result = run_study(spec, MemoryPrices(wide))
    firms = result.firms.set_index("ticker")
    assert firms.loc["PPCB", "status"] == (
        "excluded: implausible price spike on 2025-01-29 (×62500)"
    )
    assert firms.loc["AAPL", "status"] == "ok"
    assert (result.aggregate["n"] == 1).all()


def test_nvda_dollar_impact_from_the_sp500_snapshot(deepseek, result) -> None:
    caps = sp500_market_caps(REFERENCE)
    spec = StudySpec.create(tickers="NVDA AVGO", date="2025-01-27")
    dollars = run_study(spec, MemoryPrices(deepseek), market_caps=caps)
    cap = caps.set_index("ticker").loc["NVDA"]
    price = deepseek["NVDA"]
    ar0 = result.days.set_index(["ticker", "day"]).loc[("NVDA", 0), "ar"]
    before = price.loc[calendar.offset(DAY0, -1)]
    value = ar0 * cap["market_cap"] * before / price.loc[pd.Timestamp(cap["date"])]
    w = dollars.windows.set_index(["ticker", "window"])
    assert w.loc[("NVDA", "0:0"), "dollar_impact"] == pytest.approx(value, rel=1e-10)
    assert -600e9 < value < -350e9  # a ~13% abnormal drop of a ~$3.5tn company
    total = dollars.aggregate.set_index("window").loc["0:0", "dollar_impact_total"]
    assert total == pytest.approx(w.xs("0:0", level="window")["dollar_impact"].sum(), rel=1e-12)
