"""The Cross-section tab: the study grouped by sector and regressed on beta, checked against
the plain study's own CARs (group means, statsmodels OLS with HC3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from dash import no_update

from analytics.errors import SpecError
from app.charts.formatting import format_p, pct, signed_number
from app.charts.theme import INSIGNIFICANT_OPACITY
from app.dashboard.cache import DashboardData
from app.dashboard.features.results import render_chart
from app.dashboard.features.results.panels import cross_section_tables
from app.dashboard.state import DEFAULT_STATE

WINDOW = "0:0"


@pytest.fixture(scope="module")
def data(data: DashboardData) -> DashboardData:
    assert data.prepare_demo() == []
    return data


@pytest.fixture(scope="module")
def demo_key(data: DashboardData) -> str:
    return data.run(DEFAULT_STATE)


def _chart(data: DashboardData, name: str, key: str) -> Any:
    return render_chart(data, name, key=key, focus=WINDOW, selected=None, text=None, tab="xsec")


def _included(data: DashboardData, key: str) -> pd.DataFrame:
    """The plain study's firms included in the window: ticker, CAR, beta, sector."""
    result = data.result(key)
    assert result is not None
    windows = result.windows
    rows = windows[(windows["window"] == WINDOW) & (windows["status"] == "ok")]
    firms = result.firms.set_index("ticker")
    frame = pd.DataFrame(
        {"ticker": rows["ticker"].astype(str).to_numpy(), "car": rows["car"].to_numpy()}
    )
    frame["beta"] = firms.loc[frame["ticker"], "beta"].to_numpy()
    frame["sector"] = data.sector_of(list(frame["ticker"])).reindex(frame["ticker"]).to_numpy()
    return frame


def test_the_sector_bars_are_the_sector_means_of_the_studys_cars(
    data: DashboardData, demo_key: str
) -> None:
    firms = _included(data, demo_key)
    means = firms.groupby("sector")["car"].mean()
    fig = _chart(data, "sector_groups", demo_key)
    (bars,) = fig.data
    drawn = dict(zip(bars.y, bars.x, strict=True))
    assert set(drawn) == set(means.index)
    for sector, mean in means.items():
        assert drawn[sector] == pytest.approx(mean, rel=1e-12), sector
    # Solid exactly where the permutation p of the sector against the rest is below 5%.
    grouped = data.cross_section(demo_key)
    assert grouped is not None and grouped.groups is not None and grouped.groups.by == "sector"
    diffs = grouped.group_differences
    perm = diffs[diffs["window"] == WINDOW].set_index("a")["perm_p"]
    for sector, color in zip(bars.y, bars.marker.color, strict=True):
        solid = not color.endswith(f",{INSIGNIFICANT_OPACITY})")
        assert solid == (perm[sector] < 0.05), sector
    assert "Technology" in drawn and drawn["Technology"] < 0  # the chips sold off


def test_the_beta_line_is_the_ols_of_the_studys_cars_on_beta(
    data: DashboardData, demo_key: str
) -> None:
    firms = _included(data, demo_key).dropna(subset=["beta"])
    ols = sm.OLS(firms["car"].to_numpy(), sm.add_constant(firms["beta"].to_numpy())).fit(
        cov_type="HC3", use_t=True
    )
    fig = _chart(data, "beta_regression", demo_key)
    *points, line = fig.data
    assert sum(len(p.x) for p in points) == len(firms)
    # One colour per sector, each trace holding that sector's firms.
    sectors = firms.groupby("sector")["ticker"].apply(set).to_dict()
    assert {p.name: set(p.text) for p in points} == sectors
    slope = (line.y[1] - line.y[0]) / (line.x[1] - line.x[0])
    assert slope == pytest.approx(ols.params[1], rel=1e-9)
    assert line.y[0] == pytest.approx(ols.params[0] + ols.params[1] * line.x[0], rel=1e-9)
    subtitle = fig.layout.title.subtitle.text
    assert f"t = {ols.tvalues[1]:.2f}" in subtitle and f"n = {len(firms)}" in subtitle
    assert ols.params[1] < 0  # higher beta, larger loss on the DeepSeek day


def test_the_grouped_study_runs_once_and_leaves_the_study_as_it_was(
    data: DashboardData, demo_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    study = data.result(demo_key)
    first = data.cross_section(demo_key)
    assert study is not None and first is not None
    assert study.groups is None and study.spec.placebo == DEFAULT_STATE.placebo

    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the grouped study ran again")

    monkeypatch.setattr(data.workspace(), "run", fail)
    again = data.cross_section(demo_key)
    assert again is not None
    np.testing.assert_array_equal(again.car_array, first.car_array)
    np.testing.assert_array_equal(again.car_array, study.car_array)


def test_a_model_without_beta_says_so_and_still_groups(data: DashboardData) -> None:
    key = data.run(replace(DEFAULT_STATE, model="market_adjusted", placebo=0))
    fig = _chart(data, "beta_regression", key)
    assert fig.data == ()
    assert "estimates no market beta" in fig.layout.annotations[0].text
    assert _chart(data, "sector_groups", key).data


def test_a_grouped_study_that_cannot_run_is_a_message(
    data: DashboardData, demo_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sectors(key: str | None) -> None:
        raise SpecError("group_by: sector needs the reference tables (set AFTERSHOCK_REFERENCE)")

    monkeypatch.setattr(data, "cross_section", no_sectors)
    fig = _chart(data, "sector_groups", demo_key)
    assert fig.data == ()
    assert "needs the reference tables" in fig.layout.annotations[0].text


def test_the_tables_hold_each_sector_and_the_regression(data: DashboardData, demo_key: str) -> None:
    groups, regression = cross_section_tables(data, demo_key, WINDOW, "xsec")
    firms = _included(data, demo_key)
    means = firms.groupby("sector")["car"].agg(["mean", "size"]).sort_values("mean")
    body = groups.data["body"]
    assert [row[0] for row in body] == list(means.index)  # sorted by CAAR
    for row, (sector, stats) in zip(body, means.iterrows(), strict=True):
        assert row[1] == stats["size"] and row[2] == pct(stats["mean"], 2), sector
    grouped = data.cross_section(demo_key)
    diffs = grouped.group_differences.set_index(["window", "a"])
    technology = next(row for row in body if row[0] == "Technology")
    assert technology[7] == format_p(float(diffs.loc[(WINDOW, "Technology"), "perm_p"]))
    firms = firms.dropna(subset=["beta"])
    ols = sm.OLS(firms["car"].to_numpy(), sm.add_constant(firms["beta"].to_numpy())).fit(
        cov_type="HC3"
    )
    const, beta = regression.data["body"]
    assert const[0] == "const" and const[1] == signed_number(ols.params[0], 4)
    assert beta[0] == "beta" and beta[1] == signed_number(ols.params[1], 4)
    assert beta[2] == f"{ols.bse[1]:.4f}" and f"n = {len(firms)}" in regression.data["caption"]
    assert cross_section_tables(data, demo_key, WINDOW, "prices") == (no_update, no_update)


def test_a_universe_of_one_sector_and_few_firms_draws_and_says_so(data: DashboardData) -> None:
    # Two firms of one sector: one group, nothing to compare it with, too few firms to fit.
    state = replace(
        DEFAULT_STATE, article=None, preset="custom", tickers=("TSM", "ASML"), placebo=0
    )
    key = data.run(state)
    (bars,) = _chart(data, "sector_groups", key).data
    (sector,) = bars.y
    assert _chart(data, "beta_regression", key).layout.annotations[0].text.startswith("Too few")
    groups, regression = cross_section_tables(data, key, WINDOW, "xsec")
    assert [row[0] for row in groups.data["body"]] == [sector]
    assert groups.data["body"][0][5:] == ["", "", ""]  # nothing to compare with
    assert "too few firms (2)" in regression.children
