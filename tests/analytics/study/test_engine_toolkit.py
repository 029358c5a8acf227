"""The research-toolkit tests on real prices (the DeepSeek day in the shared pack), recomputed by
an independent path: pandas returns, one statsmodels OLS per firm, the prediction-error
variance written out, and the plain-loop oracles of ``test_significance_toolkit.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.data.memory import MemoryPrices
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from tests.analytics.study.test_significance import _brute_rbar, _mean, _sd
from tests.analytics.study.test_significance_toolkit import (
    _oracle_boot,
    _oracle_cz,
    _oracle_grank,
    _oracle_skew,
)
from tests.support import DEEPSEEK_PACK

DAY0 = pd.Timestamp("2025-01-27")
WINDOWS = ((0, 0), (-1, 1), (-5, 5))
N_FIRMS = 40
RTOL = 1e-9


@pytest.fixture(scope="module")
def prices(shared_dir) -> pd.DataFrame:
    long = pd.read_parquet(DEEPSEEK_PACK)
    wide = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


@pytest.fixture(scope="module")
def panel(prices: pd.DataFrame) -> dict[str, object]:
    """Per firm the OLS fit on SPY over days -250..-11 and each window's AR, SAR, CAR, BHAR."""
    returns = prices.pct_change(fill_method=None)
    pos = prices.index.get_loc(DAY0)
    span = returns.iloc[pos - 250 : pos + 6]
    firms = [
        t for t in prices.columns if not t.startswith("^") and t != "SPY" and span[t].notna().all()
    ][:N_FIRMS]
    est = returns.iloc[pos - 250 : pos - 10]
    design = sm.add_constant(est["SPY"].to_numpy())
    resid, sigma, windows = [], [], {}
    for firm in firms:
        ols = sm.OLS(est[firm].to_numpy(), design).fit()
        resid.append(ols.resid)
        sigma.append(math.sqrt(ols.scale))
        for a, b in WINDOWS:
            days = returns.iloc[pos + a : pos + b + 1]
            star = sm.add_constant(days["SPY"].to_numpy(), has_constant="add")
            expected = star @ ols.params
            ar = days[firm].to_numpy() - expected
            cov = ols.scale * (np.eye(len(ar)) + star @ np.linalg.inv(design.T @ design) @ star.T)
            sar = ar / np.sqrt(np.diag(cov))
            row = windows.setdefault(f"{a}:{b}", {"car": [], "scar": [], "sum_sar": [],
                                                  "bhar": [], "ar": []})  # fmt: skip
            row["car"].append(ar.sum())
            row["scar"].append(ar.sum() / math.sqrt(cov.sum()))
            row["sum_sar"].append(sar.sum() / math.sqrt(len(ar)))
            row["bhar"].append(np.prod(1 + days[firm].to_numpy()) - np.prod(1 + expected))
            row["ar"].append(ar)
    return {
        "firms": firms,
        "resid": np.column_stack(resid),
        "sigma": np.array(sigma),
        "windows": {
            k: {name: np.array(v) if name != "ar" else np.column_stack(v) for name, v in w.items()}
            for k, w in windows.items()
        },
    }


def _study(prices: pd.DataFrame, firms: list[str], **options: object):
    spec = StudySpec.create(tickers=firms, date=DAY0, windows=WINDOWS, placebo=0, **options)
    return run_study(spec, MemoryPrices(prices))


def _tests(result, key: str) -> pd.DataFrame:
    tests = result.tests
    return tests[tests["window"] == key].set_index("test")


@pytest.mark.parametrize("standardization", ["exact", "sum_sar"])
def test_toolkit_tests_on_the_deepseek_day(prices, panel, standardization: str) -> None:
    firms = panel["firms"]
    result = _study(prices, firms, standardization=standardization)
    assert (result.aggregate["n"] == N_FIRMS).all()
    resid, sigma = panel["resid"], panel["sigma"]
    rbar = _brute_rbar(resid)
    dof = 238.0
    for key, w in panel["windows"].items():
        scar = w["scar"] if standardization == "exact" else w["sum_sar"]
        got = _tests(result, key)
        mine = result.windows[result.windows["window"] == key].set_index("ticker")
        np.testing.assert_allclose(mine.loc[firms, "scar"], scar, rtol=RTOL)
        np.testing.assert_allclose(mine.loc[firms, "bhar"], w["bhar"], rtol=RTOL)
        patell = sum(scar) / math.sqrt(N_FIRMS * dof / (dof - 2))
        adjusted = patell * math.sqrt((1 - rbar) / (1 + (N_FIRMS - 1) * rbar))
        bmp = _mean(list(scar)) / (_sd(list(scar)) / math.sqrt(N_FIRMS))
        grank, grank_df = _oracle_grank(scar, resid, sigma)
        expected = {
            "patell_z": patell,
            "adj_patell_z": adjusted,
            "bmp_t": bmp,
            "skew_t": _oracle_skew(list(w["bhar"])),
            "cz_sign_z": _oracle_cz(w["ar"], resid),
            "grank_t": grank,
        }
        for name, value in expected.items():
            assert got.loc[name, "stat"] == pytest.approx(value, rel=RTOL), (key, name)
        assert result.test_results[key]["grank_t"].df == grank_df == 239
        assert got.loc["boot_p", "p"] == _oracle_boot(list(w["car"]), 999, 0)


def test_the_day0_sell_off_by_the_new_tests(prices, panel) -> None:
    got = _tests(_study(prices, panel["firms"]), "0:0")
    # The exact and the summed standardization agree on a one-day window.
    same = _tests(_study(prices, panel["firms"], standardization="sum_sar"), "0:0")
    np.testing.assert_allclose(got["stat"], same["stat"], rtol=1e-12)
    assert got.loc["boot_p", "p"] <= 0.002  # at most one of 999 sign flips is as extreme
    assert got.loc["adj_patell_z", "stat"] < 0 and got.loc["grank_t", "stat"] < 0


def test_bootstrap_option(prices, panel) -> None:
    firms = panel["firms"][:12]
    off = _tests(_study(prices, firms, bootstrap=0), "-1:1")
    assert math.isnan(off.loc["boot_p", "p"])
    small = _study(prices, firms, bootstrap=99, seed=7)
    car = list(panel["windows"]["-1:1"]["car"][:12])
    assert _tests(small, "-1:1").loc["boot_p", "p"] == _oracle_boot(car, 99, 7)
    assert small.test_results["-1:1"]["boot_p"].k == 99
