"""The cross-section of the DeepSeek day (2025-01-27) on the shared data pack.

Expected signs, reasoned before running: the sell-off hit the AI trade, whose stocks have high
estimation-window betas (chips, AI power), while staples rose as money rotated into safety. So
across firms the CAR falls with beta (negative ``beta`` coefficient); the Technology sector's CAAR
is negative and the Consumer Defensive sector's positive; Utilities (VST, CEG, NRG: AI power
demand) fell; and given beta, the small AI-power and nuclear names (OKLO, SMR, TLN) fell more than
the mega-caps, so ``log_mcap`` enters with a positive sign. Market values come from the S&P 500
snapshot, so only its members have ``log_mcap``: the regression's ``n`` counts them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.data.memory import MemoryPrices
from analytics.data.reference import sectors, sp500_market_caps
from analytics.study.engine import run_study
from analytics.study.result import TEST_NAMES
from analytics.study.spec import StudySpec
from tests.support import DEEPSEEK_PACK, REFERENCE


@pytest.fixture(scope="module")
def deepseek(shared_dir) -> pd.DataFrame:
    long = pd.read_parquet(DEEPSEEK_PACK)
    wide = long.pivot(index="date", columns="ticker", values="adj_close")
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


@pytest.fixture(scope="module")
def labels(shared_dir) -> pd.Series:
    return sectors(REFERENCE)


@pytest.fixture(scope="module")
def result(deepseek, labels):
    firms = [t for t in deepseek.columns if not t.startswith("^") and t != "SPY"]
    spec = StudySpec.create(
        tickers=firms,
        date="2025-01-27",
        placebo=0,
        regress="beta,log_mcap",
        group_by="sector",
    )
    return run_study(
        spec, MemoryPrices(deepseek), market_caps=sp500_market_caps(REFERENCE), sectors=labels
    )


def test_high_beta_firms_fell_more_on_the_deepseek_day(result) -> None:
    caps = set(sp500_market_caps(REFERENCE)["ticker"])
    for key in ("0:0", "-1:1"):
        fit = result.regression[key]
        terms = {t.name: t for t in fit.terms}
        included = result.windows.query("window == @key and status == 'ok'")
        assert fit.n == included["ticker"].isin(caps).sum()  # the snapshot's members
        assert fit.cov_type == "HC3"  # one event date
        assert terms["beta"].coef < 0 and terms["beta"].p < 0.01
    assert {t.name: t for t in result.regression["-1:1"].terms}["log_mcap"].coef > 0


def test_the_regression_is_statsmodels_on_the_firms_table(result, deepseek) -> None:
    firms = result.firms.set_index("ticker")
    caps = sp500_market_caps(REFERENCE).set_index("ticker")
    before, anchor = pd.Timestamp("2025-01-24"), pd.Timestamp(caps["date"].iloc[0])
    tickers = [t for t in firms.index if t in caps.index]
    mv = (
        caps.loc[tickers, "market_cap"]
        * deepseek.loc[before, tickers]
        / deepseek.loc[anchor, tickers]
    )
    x = pd.DataFrame({"beta": firms.loc[tickers, "beta"], "log_mcap": np.log(mv)})
    y = result.car.droplevel("event_id").loc[tickers, "-1:1"]
    reference = sm.OLS(y.to_numpy(), sm.add_constant(x.to_numpy())).fit(cov_type="HC3", use_t=True)
    fit = result.regression["-1:1"]
    np.testing.assert_allclose([t.coef for t in fit.terms], reference.params, rtol=1e-8)
    np.testing.assert_allclose([t.se for t in fit.terms], reference.bse, rtol=1e-8)


def test_sector_groups_have_the_expected_signs(result) -> None:
    groups = {g.label: g for g in result.groups.windows["0:0"].groups}
    assert groups["Technology"].caar < -0.03 and groups["Technology"].tests["cs_t"].pvalue < 0.01
    assert groups["Consumer Defensive"].caar > 0
    assert groups["Utilities"].caar < 0
    differences = {d.a: d for d in result.groups.windows["0:0"].differences}
    assert differences["Consumer Defensive"].diff > 0 and differences["Utilities"].diff < 0
    assert sum(g.n for g in groups.values()) == result.aggregate.set_index("window").loc["0:0", "n"]


def test_the_technology_group_is_a_study_of_its_firms(result, deepseek, labels) -> None:
    tech = [t for t in result.firms["ticker"] if labels.get(t) == "Technology"]
    alone = run_study(
        StudySpec.create(tickers=tech, date="2025-01-27", placebo=0), MemoryPrices(deepseek)
    )
    for key in ("0:0", "-1:1"):
        group = next(g for g in result.groups.windows[key].groups if g.label == "Technology")
        assert group.n == len(tech)
        assert group.caar == pytest.approx(alone.caar[key], rel=1e-12)
        for name in TEST_NAMES:
            assert group.tests[name].stat == pytest.approx(
                alone.test_results[key][name].stat, rel=1e-9
            )
