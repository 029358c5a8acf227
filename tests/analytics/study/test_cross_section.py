"""Cross-sectional regression of CARs and subgroups, against independent computations.

Oracles: statsmodels OLS called here on the same numbers, the HC3 and CR1 sandwich formulas
written out with numpy, ``scipy.stats.ttest_ind(equal_var=False)`` for Welch's t, a plain Python
loop of the permutation test with the same seed, and per-group runs of the engine.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from pydantic import ValidationError
from scipy import stats

from analytics import calendar
from analytics.data.memory import MemoryPrices
from analytics.errors import SpecError
from analytics.study.engine import run_study
from analytics.study.groups import (
    REST,
    comparisons,
    group_difference,
    group_differences,
    permutation_p,
    welch_t,
)
from analytics.study.options import StudyOptions
from analytics.study.regression import regress_cars
from analytics.study.result import TEST_NAMES
from analytics.study.spec import StudySpec

RTOL = 1e-10  # our numbers vs statsmodels / numpy / scipy on the same inputs
DAY0 = pd.Timestamp("2025-01-27")


# -- the regression on hand-made data ------------------------------------------------


def _data(n: int = 40, seed: int = 7) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({"beta": rng.normal(1.0, 0.4, n), "size": rng.normal(10, 1.5, n)})
    # Heteroskedastic errors: HC3 and the classical errors differ.
    y = 0.01 - 0.03 * x["beta"] + 0.002 * x["size"] + rng.normal(0, 0.01, n) * x["beta"].abs()
    return y.to_numpy(copy=True), x


def _hc3(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and HC3 errors by the textbook formula
    ``(X'X)^-1 X' diag(e² / (1-h)²) X (X'X)^-1``."""
    bread = np.linalg.inv(design.T @ design)
    coef = bread @ design.T @ y
    e = y - design @ coef
    h = np.einsum("ij,jk,ik->i", design, bread, design)
    meat = design.T @ np.diag(e**2 / (1 - h) ** 2) @ design
    return coef, np.sqrt(np.diag(bread @ meat @ bread))


def test_hc3_regression_matches_statsmodels_and_the_sandwich_formula() -> None:
    y, x = _data()
    fit = regress_cars(y, x)
    design = np.column_stack([np.ones(len(y)), x.to_numpy()])
    reference = sm.OLS(y, design).fit(cov_type="HC3", use_t=True)
    coef, se = _hc3(design, y)
    assert fit.n == 40 and fit.cov_type == "HC3" and fit.clusters == 1
    assert [t.name for t in fit.terms] == ["const", "beta", "size"]
    np.testing.assert_allclose([t.coef for t in fit.terms], reference.params, rtol=RTOL)
    np.testing.assert_allclose([t.coef for t in fit.terms], coef, rtol=1e-9)
    np.testing.assert_allclose([t.se for t in fit.terms], reference.bse, rtol=RTOL)
    np.testing.assert_allclose([t.se for t in fit.terms], se, rtol=1e-9)
    t = coef / se
    np.testing.assert_allclose([term.t for term in fit.terms], t, rtol=1e-9)
    # p from Student t with n - k degrees of freedom.
    np.testing.assert_allclose(
        [term.p for term in fit.terms], 2 * stats.t.sf(np.abs(t), 40 - 3), rtol=1e-8
    )
    e = y - design @ coef
    assert fit.r2 == pytest.approx(1 - (e @ e) / ((y - y.mean()) @ (y - y.mean())), rel=1e-10)
    assert fit.terms[1].coef < 0  # the planted -0.03 loading


def test_clustered_regression_matches_statsmodels_and_the_cr1_formula() -> None:
    y, x = _data(n=60, seed=11)
    dates = np.repeat(pd.date_range("2024-01-02", periods=12, freq="W").to_numpy(), 5)
    fit = regress_cars(y, x, dates=dates)
    design = np.column_stack([np.ones(len(y)), x.to_numpy()])
    groups = pd.factorize(dates)[0]
    reference = sm.OLS(y, design).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    bread = np.linalg.inv(design.T @ design)
    coef = bread @ design.T @ y
    e = y - design @ coef
    meat = sum(
        np.outer(design[groups == g].T @ e[groups == g], design[groups == g].T @ e[groups == g])
        for g in range(12)
    )
    n, k, g = 60, 3, 12
    se = np.sqrt(np.diag(bread @ meat @ bread) * g / (g - 1) * (n - 1) / (n - k))
    assert fit.cov_type == "cluster" and fit.clusters == 12
    np.testing.assert_allclose([t.se for t in fit.terms], reference.bse, rtol=RTOL)
    np.testing.assert_allclose([t.se for t in fit.terms], se, rtol=1e-9)
    np.testing.assert_allclose([t.p for t in fit.terms], reference.pvalues, rtol=RTOL)
    # p from t with G - 1 degrees of freedom.
    np.testing.assert_allclose(
        [t.p for t in fit.terms], 2 * stats.t.sf(np.abs(coef / se), g - 1), rtol=1e-8
    )


def test_firms_with_a_missing_regressor_or_car_are_dropped() -> None:
    y, x = _data()
    y[0] = np.nan
    x.loc[[1, 2], "size"] = np.nan
    fit = regress_cars(y, x)
    keep = np.arange(40) >= 3
    reference = sm.OLS(y[keep], sm.add_constant(x.to_numpy()[keep])).fit(cov_type="HC3", use_t=True)
    assert fit.n == 37
    np.testing.assert_allclose([t.se for t in fit.terms], reference.bse, rtol=RTOL)


def test_too_few_firms_or_a_constant_regressor_give_nan_terms() -> None:
    y, x = _data(n=4)
    fit = regress_cars(y, x)
    assert fit.n == 4 and np.isnan(fit.r2) and all(np.isnan(t.coef) for t in fit.terms)
    y, x = _data()
    x["size"] = 3.0
    assert np.isnan(regress_cars(y, x).terms[0].se)


# -- group comparisons on hand-made data ------------------------------------------------


def test_welch_t_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(-0.05, 0.03, 12), rng.normal(0.0, 0.01, 30)
    t, df, p = welch_t(a, b)
    reference = stats.ttest_ind(a, b, equal_var=False)
    assert t == pytest.approx(reference.statistic, rel=RTOL)
    assert p == pytest.approx(reference.pvalue, rel=1e-9)
    va, vb = a.var(ddof=1) / 12, b.var(ddof=1) / 30
    assert df == pytest.approx((va + vb) ** 2 / (va**2 / 11 + vb**2 / 29), rel=RTOL)
    assert all(np.isnan(welch_t(a[:1], b)))


def _loop_permutation_p(a: np.ndarray, b: np.ndarray, draws: int, seed: int) -> float:
    """The permutation test written as a plain loop: one row of uniforms per draw."""
    rng = np.random.default_rng(seed)
    pooled = list(a) + list(b)
    observed = abs(sum(a) / len(a) - sum(b) / len(b))
    hits = 0
    for _ in range(draws):
        keys = rng.random(len(pooled))
        order = sorted(range(len(pooled)), key=lambda i: keys[i])
        first = [pooled[i] for i in order[: len(a)]]
        rest = [pooled[i] for i in order[len(a) :]]
        if abs(sum(first) / len(first) - sum(rest) / len(rest)) >= observed - 1e-12:
            hits += 1
    return (1 + hits) / (draws + 1)


@pytest.mark.parametrize(("draws", "seed"), [(999, 0), (2500, 42)])
def test_permutation_p_matches_a_plain_loop_with_the_same_seed(draws: int, seed: int) -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(-0.01, 0.02, 9), rng.normal(0.0, 0.02, 14)
    assert permutation_p(a, b, permutations=draws, seed=seed) == _loop_permutation_p(
        a, b, draws, seed
    )


def test_permutation_p_in_chunks_is_the_same_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    a, b = rng.normal(0, 1, 20), rng.normal(0.3, 1, 25)
    whole = permutation_p(a, b, permutations=999, seed=1)
    monkeypatch.setattr("analytics.study.groups._CELLS", 45 * 7)  # 7 draws per chunk
    assert permutation_p(a, b, permutations=999, seed=1) == whole


def test_a_group_difference_and_the_pairs_compared() -> None:
    a, b = np.array([-0.10, -0.12, -0.08, -0.11]), np.array([0.0, 0.01, -0.01, 0.02, 0.0])
    d = group_difference("chips", a, "staples", b, permutations=999, seed=0)
    assert d.diff == pytest.approx(a.mean() - b.mean(), rel=RTOL)
    # Complete separation: only the observed split and its mirror are as extreme, 2/126.
    assert d.perm_p == pytest.approx((1 + 999 * 2 / 126) / 1000, abs=0.01)
    assert comparisons(["b", "a", "b"]) == [("a", "b")]
    assert comparisons(["x", "y", "z"]) == [("x", REST), ("y", REST), ("z", REST)]
    assert comparisons(["x"]) == []


# -- options and the spec ------------------------------------------------


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["AAA", "BBB", "CCC"],
            "date": ["2025-01-27"] * 3,
            "Size": ["1.5", "", "2"],
            "kind": ["x", "y", "x"],
        }
    )


def test_options_parse_the_regressors_and_the_grouping() -> None:
    options = StudyOptions(regress="Beta, log_mcap size", group_by="Sector")
    assert options.regress == ("beta", "log_mcap", "size")
    assert options.group_by == "sector"
    assert StudyOptions.from_typed({"regress": ["beta"], "group_by": "kind"}).regress == ("beta",)
    with pytest.raises(ValidationError, match="not a column name"):
        StudyOptions(regress="beta,log mcap!")


def test_the_spec_carries_the_universe_columns_as_covariates() -> None:
    spec = StudySpec.create(events=_events(), regress=["beta", "size"], group_by="kind")
    assert spec.covariates == (("size", ("1.5", "", "2")), ("kind", ("x", "y", "x")))
    assert spec.covariate_frame["kind"].tolist() == ["x", "y", "x"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regress": ["kind"]}, "regress: column 'kind' is not numeric (value 'x'); regress on "
         "beta, log_mcap or the universe file's numeric columns (size)"),
        ({"regress": ["nope"]}, "regress: 'nope' is no regressor; choose from beta, log_mcap or "
         "the universe file's numeric columns (size)"),
        ({"group_by": "nope"}, "group_by: 'nope' is not a column; group by sector or the "
         "universe file's columns (size, kind)"),
        ({"regress": ["beta"], "model": "market_adjusted"}, "beta is not estimated"),
    ],
)  # fmt: skip
def test_a_bad_regressor_or_grouping_names_the_column_and_the_choices(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(SpecError) as error:
        StudySpec.create(events=_events(), **kwargs)  # type: ignore[arg-type]
    assert message in str(error.value)


# -- through the engine on a synthetic panel ------------------------------------------------

FIRMS = {  # ticker: (beta, kind, size)
    "A1": (0.6, "chips", "3.1"), "A2": (1.4, "chips", "2.2"), "A3": (1.9, "chips", "4.0"),
    "A4": (1.1, "chips", "1.7"), "A5": (2.2, "chips", ""), "B1": (0.5, "food", "2.9"),
    "B2": (0.7, "food", "3.5"), "B3": (0.9, "food", "1.2"), "B4": (0.4, "food", "2.4"),
    "B5": (1.0, "food", "3.3"), "B6": (0.8, "food", "2.0"),
}  # fmt: skip


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """Seeded market-model prices; day 0 hits each firm by -5% per unit of beta."""
    rng = np.random.default_rng(2026)
    index = calendar.sessions("2023-06-01", "2025-04-30")
    market = rng.normal(0.0004, 0.01, len(index))
    returns = {"SPY": market}
    for name, (beta, _, _) in FIRMS.items():
        returns[name] = 0.0002 + beta * market + rng.normal(0, 0.012, len(index))
        for day, hit in ((DAY0, -0.05 * beta), (pd.Timestamp("2024-10-15"), -0.03 * beta)):
            returns[name][index.get_loc(day)] += hit + rng.normal(0, 0.005)
    return 100 * (1 + pd.DataFrame(returns, index=index)).cumprod()


def _universe(dates: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": list(FIRMS),
            "date": [(dates or {}).get(t, "2025-01-27") for t in FIRMS],
            "kind": [k for _, k, _ in FIRMS.values()],
            "size": [s for _, _, s in FIRMS.values()],
        }
    )


def _caps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": list(FIRMS),
            "date": pd.Timestamp("2024-12-20"),
            "market_cap": [1e9 * (k + 1) for k in range(len(FIRMS))],
        }
    )


def test_the_engine_regresses_cars_on_beta_log_mcap_and_a_column(wide: pd.DataFrame) -> None:
    spec = StudySpec.create(
        events=_universe(), placebo=0, regress=["beta", "log_mcap", "size"], group_by="kind"
    )
    result = run_study(spec, MemoryPrices(wide), market_caps=_caps())
    firms = result.firms.set_index("ticker")
    car = result.car.droplevel("event_id")
    # log market value at day -1: the cap scaled by the price ratio, written out here.
    before = wide.index[wide.index.get_loc(DAY0) - 1]
    anchor = pd.Timestamp("2024-12-20")
    caps = _caps().set_index("ticker")["market_cap"]
    log_mcap = np.log(caps * wide.loc[before, list(FIRMS)] / wide.loc[anchor, list(FIRMS)])
    size = pd.to_numeric(pd.Series({t: s for t, (_, _, s) in FIRMS.items()}).replace("", None))
    x = pd.DataFrame({"beta": firms["beta"], "log_mcap": log_mcap, "size": size}).dropna()
    for key in ("0:0", "-1:1"):
        fit = result.regression[key]
        reference = sm.OLS(car.loc[x.index, key].to_numpy(), sm.add_constant(x.to_numpy())).fit(
            cov_type="HC3", use_t=True
        )
        assert fit.n == 10  # A5 has no size
        np.testing.assert_allclose([t.coef for t in fit.terms], reference.params, rtol=1e-9)
        np.testing.assert_allclose([t.se for t in fit.terms], reference.bse, rtol=1e-9)
        assert fit.r2 == pytest.approx(reference.rsquared, rel=1e-9)
    assert result.regression["0:0"].terms[1].coef < 0  # the planted -5% per unit of beta
    table = result.regression_table
    assert table["term"].tolist()[:3] == ["const", "beta", "log_mcap"]
    assert "regression" in result.to_frames()


def test_group_caars_and_tests_equal_per_group_runs_of_the_engine(wide: pd.DataFrame) -> None:
    spec = StudySpec.create(events=_universe(), placebo=0, group_by="kind", seed=3)
    result = run_study(spec, MemoryPrices(wide))
    for kind in ("chips", "food"):
        tickers = [t for t, (_, k, _) in FIRMS.items() if k == kind]
        alone = run_study(
            StudySpec.create(tickers=tickers, date=DAY0, placebo=0, seed=3), MemoryPrices(wide)
        )
        for key in spec.window_keys:
            group = next(g for g in result.groups.windows[key].groups if g.label == kind)
            assert group.n == len(tickers)
            assert group.caar == pytest.approx(alone.caar[key], rel=1e-12)
            for name in TEST_NAMES:
                mine, theirs = group.tests[name], alone.test_results[key][name]
                assert mine.stat == pytest.approx(theirs.stat, rel=1e-10, nan_ok=True), name
                assert mine.pvalue == pytest.approx(theirs.pvalue, rel=1e-10, nan_ok=True), name
    # Two groups: one comparison, chips - food, by Welch (scipy) and the permutation loop.
    (diff,) = result.groups.windows["0:0"].differences
    cars = result.car.droplevel("event_id")["0:0"]
    chips = cars[[t for t in FIRMS if t.startswith("A")]].to_numpy()
    food = cars[[t for t in FIRMS if t.startswith("B")]].to_numpy()
    assert (diff.a, diff.b, diff.n_a, diff.n_b) == ("chips", "food", 5, 6)
    assert diff.diff == pytest.approx(chips.mean() - food.mean(), rel=1e-12)
    assert diff.welch_t == pytest.approx(
        stats.ttest_ind(chips, food, equal_var=False).statistic, rel=1e-10
    )
    assert diff.perm_p == _loop_permutation_p(chips, food, 9999, 3)
    assert diff.diff < 0 and diff.welch_t < 0  # high-beta chips fell more


def test_firm_event_dates_that_differ_cluster_the_errors(wide: pd.DataFrame) -> None:
    spec = StudySpec.create(
        events=_universe({t: "2024-10-15" for t in ("A1", "A2", "B1", "B2", "B3")}),
        placebo=0,
        regress=["beta"],
    )
    result = run_study(spec, MemoryPrices(wide))
    fit = result.regression["0:0"]
    assert fit.cov_type == "cluster" and fit.clusters == 2 and fit.n == 11
    cars = result.car["0:0"].to_numpy()
    groups = pd.factorize(result.events["day0"])[0]
    reference = sm.OLS(cars, sm.add_constant(result.firms["beta"].to_numpy())).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )
    np.testing.assert_allclose([t.se for t in fit.terms], reference.bse, rtol=1e-9)


def test_json_and_summary_show_the_regression_and_the_groups(wide: pd.DataFrame, tmp_path) -> None:
    spec = StudySpec.create(
        events=_universe(), placebo=0, windows="0:0", regress="beta,size", group_by="kind"
    )
    result = run_study(spec, MemoryPrices(wide))
    doc = json.loads(result.to_json())
    regression = doc["regression"]["0:0"]
    assert regression["n"] == 10 and set(regression) == {"n", "r2", "cov_type", "clusters", "terms"}
    assert [t["name"] for t in regression["terms"]] == ["const", "beta", "size"]
    assert set(regression["terms"][0]) == {"name", "coef", "se", "t", "p"}
    groups = doc["groups"]
    assert groups["by"] == "kind"
    window = groups["windows"]["0:0"]
    assert [g["group"] for g in window["groups"]] == ["chips", "food"]
    assert set(window["groups"][0]["tests"]) == set(TEST_NAMES)
    assert window["differences"][0]["a"] == "chips"
    assert {"welch_t", "df", "p", "perm_p", "permutations"} <= set(window["differences"][0])
    text = result.summary().as_text()
    assert "Cross-sectional regression of CAR on beta, size:" in text
    assert "n = 10" in text and "HC3 standard errors" in text
    assert "Groups by kind (CAAR, cross-sectional t):" in text
    assert "chips − food:" in text and "permutation p" in text
    plain = json.loads(
        run_study(StudySpec.create(events=_universe(), placebo=0), MemoryPrices(wide)).to_json()
    )
    assert plain["regression"] == {} and plain["groups"] is None
    written = {p.name for p in result.to_csv(tmp_path)}
    assert {"regression.csv", "groups.csv", "group_differences.csv"} <= written
    differences = pd.read_csv(tmp_path / "group_differences.csv")
    assert differences.loc[0, ["window", "a", "b"]].tolist() == ["0:0", "chips", "food"]


def test_grouping_by_sector_needs_sectors(wide: pd.DataFrame) -> None:
    spec = StudySpec.create(events=_universe(), placebo=0, windows="0:0", group_by="sector")
    with pytest.raises(SpecError, match="group_by: sector needs the reference tables"):
        run_study(spec, MemoryPrices(wide))
    sectors = pd.Series({"A1": "Technology", "A2": "Technology", "B1": "Consumer Defensive"})
    result = run_study(spec, MemoryPrices(wide), sectors=sectors)
    labels = {g.label: g.n for g in result.groups.windows["0:0"].groups}
    assert labels == {"Consumer Defensive": 1, "Technology": 2, "Unknown": 8}
    assert [d.b for d in result.groups.windows["0:0"].differences] == [REST] * 3


def test_sectors_against_the_rest_share_one_set_of_draws() -> None:
    rng = np.random.default_rng(11)
    cars = rng.normal(0.0, 0.02, 40)
    labels = np.array(["energy", "tech", "food", "tech", "energy"] * 8, dtype=object)
    cars[labels == "tech"] -= 0.02
    found = group_differences(cars, labels, permutations=999, seed=4)
    assert [(d.a, d.b) for d in found] == [("energy", REST), ("food", REST), ("tech", REST)]
    for d in found:
        mine = labels == d.a
        alone = group_difference(d.a, cars[mine], REST, cars[~mine], permutations=999, seed=4)
        assert (d.n_a, d.n_b, d.diff, d.welch_t, d.p) == (
            alone.n_a, alone.n_b, alone.diff, alone.welch_t, alone.p
        )  # fmt: skip
        # The draws order all 40 CARs as they come (not the group first): a plain loop.
        draws = np.random.default_rng(4)
        observed = abs(cars[mine].mean() - cars[~mine].mean())
        hits = 0
        for _ in range(999):
            order = sorted(range(40), key=draws.random(40).__getitem__)
            first = cars[order[: mine.sum()]]
            rest = cars[order[mine.sum() :]]
            hits += abs(first.mean() - rest.mean()) >= observed - 1e-12
        assert d.perm_p == (1 + hits) / 1000
    assert found[2].perm_p < 0.05  # tech fell more
