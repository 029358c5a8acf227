"""The cross-section charts, through ``fig.data`` / ``fig.layout`` on a synthetic study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import calendar
from analytics.data.memory import MemoryPrices
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from app.charts.cross_section import group_caar_bar, regression_points, regression_scatter
from app.charts.formatting import format_p, pct
from app.charts.theme import INSIGNIFICANT_OPACITY, NEGATIVE

BETAS = {"A1": 0.6, "A2": 1.4, "A3": 1.9, "A4": 2.2, "B1": 0.5, "B2": 0.7, "B3": 0.9, "B4": 0.4}


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(9)
    index = calendar.sessions("2023-06-01", "2025-04-30")
    market = rng.normal(0.0004, 0.01, len(index))
    returns = {"SPY": market}
    for name, beta in BETAS.items():
        returns[name] = beta * market + rng.normal(0, 0.01, len(index))
        returns[name][index.get_loc(pd.Timestamp("2025-01-27"))] -= 0.05 * beta
    wide = 100 * (1 + pd.DataFrame(returns, index=index)).cumprod()
    events = pd.DataFrame(
        {
            "ticker": list(BETAS),
            "date": "2025-01-27",
            "kind": ["chips"] * 4 + ["food"] * 4,
            "size": ["1", "2", "3", "4", "2", "3", "1", ""],
        }
    )
    spec = StudySpec.create(
        events=events, placebo=0, windows="0:0", regress="beta,size", group_by="kind"
    )
    return run_study(spec, MemoryPrices(wide))


def test_the_scatter_shows_the_firms_and_the_fit_at_the_other_means(result) -> None:
    points = regression_points(result, window="0:0")
    assert list(points.columns) == ["ticker", "car", "beta", "size"] and len(points) == 8
    fig = regression_scatter(points, result.regression_table, window="0:0", regressor="beta")
    firms, line = fig.data
    assert len(firms.x) == 7  # B4 has no size
    coef = result.regression_table.set_index("term")["coef"]
    used = points.dropna()
    at_mean = coef["const"] + coef["size"] * used["size"].mean()
    np.testing.assert_allclose(line.y, at_mean + coef["beta"] * np.asarray(line.x), rtol=1e-12)
    assert line.y[1] < line.y[0]  # CAR falls with beta
    assert "n = 7" in fig.layout.title.subtitle.text


def test_the_scatter_without_a_fit_is_the_empty_figure(result) -> None:
    fig = regression_scatter(
        pd.DataFrame(columns=["ticker", "car"]), result.regression_table, window="0:0",
        regressor="beta",
    )  # fmt: skip
    assert fig.data == () and fig.layout.annotations[0].text == "No data for this selection"


def test_the_group_bars_are_the_group_caars(result) -> None:
    fig = group_caar_bar(result.group_table, window="0:0")
    (bars,) = fig.data
    caar = {g.label: g.caar for g in result.groups.windows["0:0"].groups}
    assert list(bars.y) == sorted(caar, key=caar.get)
    np.testing.assert_allclose(bars.x, sorted(caar.values()), rtol=1e-12)
    assert bars.marker.color[0].startswith("rgba(" + ",".join(
        str(int(NEGATIVE[i : i + 2], 16)) for i in (1, 3, 5)
    ))  # fmt: skip
    assert "n = 4" in bars.text[0]


def test_two_groups_share_their_one_comparison(result) -> None:
    diffs = result.group_differences
    (row,) = diffs[diffs["window"] == "0:0"].itertuples()
    fig = group_caar_bar(result.group_table, window="0:0", differences=diffs, by="kind")
    (bars,) = fig.data
    assert fig.layout.title.text.startswith("CAAR day 0 by kind")
    assert "against the other group's (permutation)" in fig.layout.title.subtitle.text
    other = {row.a: row.b, row.b: row.a}
    for label, text, hover in zip(bars.y, bars.text, bars.hovertext, strict=True):
        assert text.endswith(f" · {format_p(row.perm_p)}")
        sign = 1 if label == row.a else -1
        assert f"vs {other[label]}: {pct(sign * row.diff, 2)}" in hover
    solid = [not c.endswith(f",{INSIGNIFICANT_OPACITY})") for c in bars.marker.color]
    assert solid == [row.perm_p < 0.05] * 2
