"""Figure builders, checked through ``fig.data`` and ``fig.layout`` on hand-made frames.

The chart modules are reached through the namespace ``F``: ``test_statistics_table`` imported by
name would be collected by pytest as a test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from analytics.errors import DataError, SpecError
from analytics.news.markers import NewsMarker
from app.charts import (
    abnormal,
    base,
    caar,
    figures,
    formatting,
    impact,
    readings,
    significance,
    theme,
)
from app.charts import (
    prices as price_charts,
)

MODULES = (abnormal, base, caar, figures, formatting, impact, price_charts, readings, significance)
F = SimpleNamespace(**{name: getattr(m, name) for m in MODULES for name in m.__all__})


def all_figures(result: object, *, window: str, **inputs: object) -> dict[str, go.Figure]:
    day0 = figures.event_day0(result.firms)  # type: ignore[attr-defined]
    given = figures.ChartInputs(day0=day0, **inputs)  # type: ignore[arg-type]
    return figures.window_figures(result, given, window=window)  # type: ignore[arg-type]


MINUS = "\u2212"
TICKERS = ["AAA", "BBB", "CCC", "DDD", "EEE"]
CAR = [-0.10, 0.05, -0.02, 0.08, 0.001]
P = [0.001, 0.03, 0.40, 0.07, 0.90]
USD = [-2.0e9, 1.5e9, -3.0e8, 4.0e9, 1.0e6]


@pytest.fixture
def windows() -> pd.DataFrame:
    ok = pd.DataFrame(
        {
            "event_id": "e1",
            "ticker": TICKERS,
            "window": "-1:1",
            "car": CAR,
            "var_car": 0.0004,
            "scar": [c / 0.02 for c in CAR],
            "bhar": CAR,
            "t": [c / 0.02 for c in CAR],
            "p": P,
            "status": "ok",
            "dollar_impact": USD,
        }
    )
    excluded = pd.DataFrame(
        {
            "event_id": ["e1"],
            "ticker": ["FFF"],
            "window": ["-1:1"],
            "car": [np.nan],
            "var_car": [np.nan],
            "scar": [np.nan],
            "bhar": [np.nan],
            "t": [np.nan],
            "p": [np.nan],
            "status": ["excluded: missing return on day 0"],
            "dollar_impact": [np.nan],
        }
    )
    return pd.concat([ok, excluded], ignore_index=True)


@pytest.fixture
def days() -> pd.DataFrame:
    rows = []
    for ticker, car in zip(TICKERS, CAR, strict=True):
        for day, share in ((-1, 0.1), (0, 0.7), (1, 0.2)):
            ar = car * share
            rows.append(
                {
                    "event_id": "e1",
                    "ticker": ticker,
                    "day": day,
                    "date": pd.Timestamp("2025-01-27") + pd.Timedelta(days=day),
                    "ret": ar,
                    "expected": 0.0,
                    "ar": ar,
                    "var_ar": 0.0001,
                    "sar": ar / 0.01,
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def aar() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "window": "-1:1",
            "day": [-1, 0, 1],
            "n": [5, 5, 5],
            "aar": [0.001, -0.030, 0.004],
            "caar": [0.001, -0.029, -0.025],
            "caar_se": [0.002, 0.006, 0.007],
        }
    )


@pytest.fixture
def tests_frame() -> pd.DataFrame:
    values = {
        "cs_t": (-4.1, 0.00004),
        "patell_z": (-3.0, 0.003),
        "adj_patell_z": (-2.8, 0.005),
        "bmp_t": (-2.5, 0.02),
        "kp_bmp_t": (-1.9, 0.06),
        "skew_t": (-2.4, 0.016),
        "boot_p": (-2.5, 0.021),
        "portfolio_t": (-1.7, 0.09),
        "gen_sign_z": (0.4, 0.69),
        "cz_sign_z": (-1.0, 0.32),
        "corrado_z": (-2.2, 0.03),
        "grank_t": (-2.0, 0.047),
        "wilcoxon": (3.0, 0.04),
        "placebo": (-0.02, 0.01),
    }
    names = list(F.TEST_LABELS)
    assert names == list(values)
    stats = [values[name][0] for name in names]
    ps = [values[name][1] for name in names]
    # Reversed on purpose: the table must restore the canonical order.
    return pd.DataFrame({"window": "-1:1", "test": names, "stat": stats, "p": ps}).iloc[::-1]


def _annotation_texts(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# ---------------------------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "long", "expected"),
    [
        (1.234e12, False, "$1.2T"),
        (345e9, False, "$345B"),
        (12.34e6, False, "$12.3M"),
        (1500.0, False, "$1.5K"),
        (512.0, False, "$512"),
        (0.0, False, "$0"),
        (-0.2, False, "$0"),
        (-345e9, False, f"{MINUS}$345B"),
        (99.96e6, False, "$100M"),
        (999.97e9, False, "$1.0T"),
        (-1.234e12, True, f"{MINUS}$1.23 trillion"),
        (345.4e9, True, "$345 billion"),
        (12.34e6, True, "$12.3 million"),
        (math.nan, False, "n/a"),
    ],
)
def test_format_usd(x: float, long: bool, expected: str) -> None:
    assert F.format_usd(x, long=long) == expected


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0.0004, "p < 0.001"), (0.001, "p = 0.001"), (0.0342, "p = 0.034"), (0.42, "p = 0.42")],
)
def test_format_p(p: float, expected: str) -> None:
    assert F.format_p(p) == expected


def test_describe_test_matches_the_documented_sentence() -> None:
    assert F.describe_test("patell_z", -4.1, 0.00004) == (
        f"Patell Z = {MINUS}4.1 (p < 0.001): "
        "the average abnormal return is very unlikely to be noise"
    )


@pytest.mark.parametrize(
    ("p", "reading"),
    [
        (0.0009, "is very unlikely to be noise"),
        (0.001, "is unlikely to be noise"),
        (0.0099, "is unlikely to be noise"),
        (0.01, "is probably not noise (significant at 5%)"),
        (0.0499, "is probably not noise (significant at 5%)"),
        (0.05, "is borderline (weak evidence, could be noise)"),
        (0.0999, "is borderline (weak evidence, could be noise)"),
        (0.10, "is consistent with noise"),
        (0.80, "is consistent with noise"),
    ],
)
def test_describe_test_thresholds(p: float, reading: str) -> None:
    assert F.describe_test("cs_t", 2.0, p).endswith(reading)


def test_describe_test_per_test_wording_and_missing_values() -> None:
    assert F.describe_test("wilcoxon", 2266.0, 0.0001).startswith("Wilcoxon W = 2266 (")
    assert "the balance of gainers and losers" in F.describe_test("gen_sign_z", 2.5, 0.01)
    assert F.describe_test("bmp_t", math.nan, 0.5) == "BMP t: not available for this selection"


@pytest.mark.parametrize(
    ("key", "days", "label"),
    [
        ("-1:1", (-1, 1), f"[{MINUS}1, +1]"),
        ("-5:+5", (-5, 5), f"[{MINUS}5, +5]"),
        ("0:0", (0, 0), "day 0"),
    ],
)
def test_window_keys(key: str, days: tuple[int, int], label: str) -> None:
    assert F.parse_window(key) == days
    assert F.window_label(key) == label


@pytest.mark.parametrize("key", ["-1", "a:b", "2:1", "1:2:3", ""])
def test_bad_window_key_names_the_parameter(key: str) -> None:
    with pytest.raises(SpecError, match="window: "):
        F.parse_window(key)


# ---------------------------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------------------------


def test_template_is_registered_and_used() -> None:
    assert pio.templates[theme.TEMPLATE_NAME].layout.font.size == 14
    fig = F.caar_path(pd.DataFrame(), window="0:0")
    assert fig.layout.template.layout.font.size == theme.FONT_SIZE
    assert fig.layout.template.layout.xaxis.automargin is True


# ---------------------------------------------------------------------------------------------
# 1. Price paths
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def prices() -> pd.DataFrame:
    sessions = pd.bdate_range("2025-01-21", periods=8)  # day 0 = 2025-01-27, index 4
    return pd.DataFrame(
        {
            "NVDA": [140.0, 141.0, 139.5, 142.41, 118.24, 128.0, 123.7, 124.65],
            "KO": [62.0, 62.3, 62.9, 63.1, 63.9, 63.4, 63.0, 62.8],
            "OKLO": [40.0, 41.0, 42.0, 43.0, np.nan, 39.0, 41.0, 44.0],
            "NEW": [np.nan, np.nan, np.nan, np.nan, 10.0, 11.0, 12.0, 13.0],
            "SPY": [597.0, 603.0, 606.4, 607.97, 599.37, 604.52, 601.81, 605.04],
        },
        index=sessions,
    )


def test_price_paths_normalizes_to_exactly_100_at_day_minus_1(prices: pd.DataFrame) -> None:
    fig = F.price_paths(prices, day0="2025-01-27", headline="DeepSeek jolts chip stocks")
    names = [t.name for t in fig.data]
    assert set(names) == {"NVDA", "KO", "OKLO", "SPY (benchmark)"}  # NEW has no day −1 price
    for trace in fig.data:
        x = np.asarray(trace.x)
        assert x.tolist() == list(range(-4, 4))
        assert np.asarray(trace.y)[x == -1][0] == 100.0
    nvda = np.asarray(next(t for t in fig.data if t.name == "NVDA").y)
    assert nvda[4] == pytest.approx(118.24 / 142.41 * 100, rel=1e-12)  # the −16.97% day
    assert np.isnan(np.asarray(next(t for t in fig.data if t.name == "OKLO").y)[4])


def test_price_paths_marks_day0_and_dashes_the_benchmark(prices: pd.DataFrame) -> None:
    headline = "DeepSeek's Market Jolt: " + "US stocks shed trillions " * 5
    fig = F.price_paths(prices, day0=pd.Timestamp("2025-01-27"), headline=headline)
    bench = fig.data[-1]
    assert bench.name == "SPY (benchmark)"
    assert bench.line.dash == "dash"
    assert all(t.line.dash is None for t in fig.data[:-1])
    assert any(s.type == "line" and s.x0 == 0 and s.x1 == 0 for s in fig.layout.shapes)
    (note,) = [a for a in fig.layout.annotations if a.text.startswith("<b>Day 0</b>")]
    assert note.x == 0
    assert note.text.endswith("…")
    assert len(note.text) < len(headline)
    assert "Mon 27 Jan 2025" in fig.layout.title.subtitle.text
    assert "1 without a day" in fig.layout.title.subtitle.text
    # Hover shows the calendar date of each relative day.
    assert list(fig.data[0].customdata)[4] == "Mon 27 Jan 2025"


def test_price_paths_keeps_the_largest_movers(prices: pd.DataFrame) -> None:
    fig = F.price_paths(prices, day0="2025-01-27", max_lines=1)
    assert [t.name for t in fig.data] == ["NVDA", "SPY (benchmark)"]
    assert "1 largest day-0 moves of 3 tickers" in fig.layout.title.subtitle.text


def test_price_paths_ranks_by_the_day0_move_not_the_drift() -> None:
    dates = pd.DatetimeIndex(["2025-01-23", "2025-01-24", "2025-01-27", "2025-01-28"])
    prices = pd.DataFrame(
        # DRIFT ends +50% but barely moves on day 0; JOLT falls 17% on day 0 and recovers.
        {"DRIFT": [100.0, 100.0, 101.0, 150.0], "JOLT": [100.0, 100.0, 83.0, 99.0]},
        index=dates,
    )
    fig = F.price_paths(prices, day0="2025-01-27", max_lines=1, benchmark=None)
    assert [t.name for t in fig.data] == ["JOLT"]
    # A ticker the article names stays on the chart even when others moved more.
    pinned = F.price_paths(prices, day0="2025-01-27", max_lines=1, benchmark=None, pinned=["DRIFT"])
    assert [t.name for t in pinned.data] == ["DRIFT"]
    both = F.price_paths(prices, day0="2025-01-27", max_lines=2, benchmark=None, pinned=["NOPE"])
    assert sorted(t.name for t in both.data) == ["DRIFT", "JOLT"]


def test_price_paths_legend_follows_end_points(prices: pd.DataFrame) -> None:
    fig = F.price_paths(prices, day0="2025-01-27", tickers=["KO", "NVDA", "OKLO"], benchmark=None)
    ends = [np.asarray(t.y)[-1] for t in fig.data]
    assert ends == sorted(ends, reverse=True)


def test_price_paths_day0_off_calendar_means_next_session(prices: pd.DataFrame) -> None:
    on_saturday = F.price_paths(prices, day0="2025-01-25")
    on_monday = F.price_paths(prices, day0="2025-01-27")
    assert list(on_saturday.data[0].x) == list(on_monday.data[0].x) == list(range(-4, 4))


def test_price_paths_without_a_session_before_day0(prices: pd.DataFrame) -> None:
    fig = F.price_paths(prices, day0="2025-01-01")
    assert fig.data == ()
    assert "before day 0" in _annotation_texts(fig)[0]


def _news(fig: go.Figure) -> go.Scatter | None:
    found = [t for t in fig.data if t.name == "News"]
    assert len(found) <= 1
    return found[0] if found else None


def test_price_paths_mark_the_news_on_the_line(prices: pd.DataFrame) -> None:
    news = [
        NewsMarker("NVDA", date(2025, 1, 27), "DeepSeek jolts chip stocks", "deepseek.txt"),
        NewsMarker("KO", date(2025, 1, 29), "Coke <b>beats</b> & more", "coke.txt"),
    ]
    fig = F.price_paths(prices, day0="2025-01-27", news=news)
    trace = _news(fig)
    assert trace is not None
    assert trace.mode == "markers" and trace.marker.symbol == "diamond"
    assert list(trace.x) == [0, 2]
    # The rebased price of the fixture's rows, by hand: close / close on day −1 (Fri 24 Jan).
    assert list(trace.y) == pytest.approx([118.24 / 142.41 * 100, 63.0 / 63.1 * 100], rel=1e-12)
    assert list(trace.customdata) == ["deepseek.txt", "coke.txt"]
    assert list(trace.text) == [
        "DeepSeek jolts chip stocks",
        "Coke &lt;b&gt;beats&lt;/b&gt; &amp; more",
    ]
    assert list(trace.hovertext) == ["NVDA · Mon 27 Jan 2025", "KO · Wed 29 Jan 2025"]
    assert "%{text}" in trace.hovertemplate
    # The lines and their legend order are those of the chart without news; News comes last.
    plain_fig = F.price_paths(prices, day0="2025-01-27")
    assert [t.name for t in fig.data] == [*(t.name for t in plain_fig.data), "News"]


def test_price_paths_mark_only_drawn_tickers_on_sessions_of_the_chart(
    prices: pd.DataFrame,
) -> None:
    headline = "Nvidia " * 30
    news = [
        NewsMarker("NVDA", date(2025, 1, 21), headline, "first-day.txt"),  # day −4: shown
        NewsMarker("NVDA", date(2025, 1, 20), "before", "before.txt"),  # before the chart
        NewsMarker("NVDA", date(2025, 2, 10), "after", "after.txt"),  # after it
        NewsMarker("OKLO", date(2025, 1, 27), "no price that day", "oklo.txt"),
        NewsMarker("NEW", date(2025, 1, 28), "no day −1 price: not drawn", "new.txt"),
        NewsMarker("XOM", date(2025, 1, 27), "not in the prices", "xom.txt"),
        NewsMarker("SPY", date(2025, 1, 28), "the benchmark is drawn", "spy.txt"),
    ]
    fig = F.price_paths(prices, day0="2025-01-27", news=news)
    trace = _news(fig)
    assert trace is not None
    assert list(trace.customdata) == ["first-day.txt", "spy.txt"]
    assert list(trace.x) == [-4, 1]
    assert trace.y[1] == pytest.approx(604.52 / 607.97 * 100, rel=1e-12)
    assert trace.text[0].endswith("…") and len(trace.text[0]) <= 70
    # A ticker left out by max_lines gets no marker either.
    only_nvda = F.price_paths(prices, day0="2025-01-27", max_lines=1, benchmark=None, news=news)
    assert list(_news(only_nvda).customdata) == ["first-day.txt"]  # type: ignore[union-attr]
    kept_out = F.price_paths(prices, day0="2025-01-27", tickers=["KO"], news=news[:1])
    assert _news(kept_out) is None


def test_price_paths_without_news_to_draw_have_no_news_trace(prices: pd.DataFrame) -> None:
    outside = [NewsMarker("NVDA", date(2024, 8, 5), "old news", "old.txt")]
    for news in ([], outside):
        fig = F.price_paths(prices, day0="2025-01-27", news=news)
        assert _news(fig) is None
        assert fig.layout.showlegend is not False
    # The empty-chart paths take markers too.
    marker = [NewsMarker("NVDA", date(2025, 1, 27), "h", "a.txt")]
    assert F.price_paths(prices.iloc[0:0], day0="2025-01-27", news=marker).data == ()
    assert F.price_paths(prices, day0="2025-01-01", news=marker).data == ()


def test_chart_inputs_carry_the_news_to_the_price_chart(prices: pd.DataFrame) -> None:
    marker = NewsMarker("NVDA", date(2025, 1, 27), "Chips slide", "chips.txt")
    inputs = figures.ChartInputs(prices=prices, day0=pd.Timestamp("2025-01-27"), news=(marker,))
    fig = figures.chart("price_paths", SimpleNamespace(), inputs, window="")  # type: ignore[arg-type]
    assert list(_news(fig).customdata) == ["chips.txt"]  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# 2. Abnormal returns bar
# ---------------------------------------------------------------------------------------------


def test_abnormal_returns_bar_sorted_colored_and_starred(
    days: pd.DataFrame, windows: pd.DataFrame
) -> None:
    fig = F.abnormal_returns_bar(days, windows, window="-1:1")
    (bar,) = fig.data
    x = list(bar.x)
    assert x == sorted(CAR)  # first category is drawn at the bottom: largest on top
    assert list(bar.y) == ["AAA", "CCC", "EEE", "BBB", "DDD"]
    assert list(bar.marker.color) == [
        theme.NEGATIVE,
        theme.NEGATIVE,
        theme.POSITIVE,
        theme.POSITIVE,
        theme.POSITIVE,
    ]
    # p = 0.001, 0.40, 0.90, 0.03, 0.07 in this order; alpha = 0.05.
    assert list(bar.marker.opacity) == [1.0, 0.35, 0.35, 1.0, 0.35]
    assert list(bar.text) == [
        f"{MINUS}10.0% ***",
        f"{MINUS}2.0%",
        "+0.1%",
        "+5.0% **",
        "+8.0% *",
    ]
    assert bar.orientation == "h"
    assert "5 firms · 1 excluded" in fig.layout.title.subtitle.text
    assert any("Faded" in t for t in _annotation_texts(fig))


def test_abnormal_returns_bar_alpha_changes_fading(
    days: pd.DataFrame, windows: pd.DataFrame
) -> None:
    fig = F.abnormal_returns_bar(days, windows, window="-1:1", alpha=0.10)
    assert list(fig.data[0].marker.opacity) == [1.0, 0.35, 0.35, 1.0, 1.0]


def test_abnormal_returns_bar_unsorted_reads_top_down(
    days: pd.DataFrame, windows: pd.DataFrame
) -> None:
    fig = F.abnormal_returns_bar(days, windows, window="-1:1", sort=False)
    assert list(fig.data[0].y) == TICKERS[::-1]


def test_abnormal_returns_bar_day0_falls_back_to_days(
    days: pd.DataFrame, windows: pd.DataFrame
) -> None:
    fig = F.abnormal_returns_bar(days, windows, window="0:0")
    (bar,) = fig.data
    assert fig.layout.title.text == "Abnormal return on day 0 by firm"
    np.testing.assert_allclose(list(bar.x), sorted(c * 0.7 for c in CAR), rtol=0, atol=1e-15)
    assert set(bar.marker.opacity) == {1.0}  # no firm-level test: nothing faded


def test_abnormal_returns_bar_many_firms_shows_top_and_bottom() -> None:
    rng = np.random.default_rng(7)
    n = 500
    car = rng.normal(0, 0.03, n)
    big = pd.DataFrame(
        {
            "event_id": "e1",
            "ticker": [f"T{i:03d}" for i in range(n)],
            "window": "0:0",
            "car": car,
            "p": rng.uniform(0, 1, n),
            "status": "ok",
        }
    )
    fig = F.abnormal_returns_bar(pd.DataFrame(), big, window="0:0", max_bars=30)
    x = np.asarray(fig.data[0].x)
    ordered = np.sort(car)
    assert len(x) == 30
    np.testing.assert_array_equal(x, np.concatenate([ordered[:15], ordered[-15:]]))
    assert "of" not in fig.layout.title.text
    assert "500 firms" in fig.layout.title.subtitle.text
    assert "15 highest and 15 lowest" in fig.layout.title.subtitle.text
    assert fig.layout.height >= 200 + 20 * 30
    assert fig.layout.yaxis.tickfont.size == theme.FONT_SIZE - 2


def test_abnormal_returns_bar_labels_stay_unique_across_events(windows: pd.DataFrame) -> None:
    two = pd.concat([windows, windows.assign(event_id="e2")], ignore_index=True)
    fig = F.abnormal_returns_bar(pd.DataFrame(), two, window="-1:1")
    labels = list(fig.data[0].y)
    assert len(labels) == len(set(labels)) == 10
    assert "AAA #e2" in labels
    # Firm-event ids are not shown for tickers studied once.
    single = F.abnormal_returns_bar(pd.DataFrame(), windows, window="-1:1")
    assert "AAA" in single.data[0].y


# ---------------------------------------------------------------------------------------------
# 3. CAAR path
# ---------------------------------------------------------------------------------------------


def test_caar_band_is_196_standard_errors(aar: pd.DataFrame) -> None:
    fig = F.caar_path(aar, window="-1:1")
    upper, lower, line, bars = fig.data
    caar = aar["caar"].to_numpy()
    se = aar["caar_se"].to_numpy()
    np.testing.assert_allclose(upper.y, caar + 1.96 * se, rtol=0, atol=1e-15)
    np.testing.assert_allclose(lower.y, caar - 1.96 * se, rtol=0, atol=1e-15)
    assert lower.fill == "tonexty"
    assert np.asarray(line.y).tolist() == caar.tolist()
    assert line.line.color == theme.NEGATIVE  # final CAAR < 0
    assert line.error_y.array is None  # a band, not error bars, for multi-day windows
    assert bars.type == "bar"
    assert np.asarray(bars.y).tolist() == aar["aar"].tolist()
    assert list(bars.marker.color) == [theme.POSITIVE, theme.NEGATIVE, theme.POSITIVE]
    assert (line.yaxis, bars.yaxis) == ("y", "y2")
    assert list(line.x) == [-1, 0, 1]
    zero_lines = [s for s in fig.layout.shapes if s.type == "line" and s.y0 == 0 and s.y1 == 0]
    assert len(zero_lines) == 2
    assert f"{MINUS}2.50%" in fig.layout.title.subtitle.text


def test_caar_single_day_uses_an_error_bar() -> None:
    one = pd.DataFrame(
        {"window": "0:0", "day": [0], "n": [3], "aar": [0.02], "caar": [0.02], "caar_se": [0.005]}
    )
    fig = F.caar_path(one, window="0:0")
    line = fig.data[2]
    assert line.error_y.array == pytest.approx((1.96 * 0.005,))
    assert line.line.color == theme.POSITIVE
    assert fig.data[1].showlegend is False  # no band to show for a single day
    assert "error bar: 95% interval" in fig.layout.title.subtitle.text


# ---------------------------------------------------------------------------------------------
# 4. Sector treemap and dollar impact
# ---------------------------------------------------------------------------------------------


def test_sector_treemap_sizes_by_market_value(windows: pd.DataFrame) -> None:
    sectors = pd.Series({"AAA": "Tech", "BBB": "Tech", "CCC": "Energy", "DDD": "Energy"})
    caps = pd.Series({"AAA": 3e12, "BBB": 1e12, "CCC": 2e11, "EEE": 5e11})
    fig = F.sector_treemap(windows, sectors, caps, window="-1:1")
    (tm,) = fig.data
    values = dict(zip(tm.ids, tm.values, strict=True))
    median = float(np.median([3e12, 1e12, 2e11, 5e11]))
    assert values["all/Tech/AAA"] == 3e12
    assert values["all/Energy/DDD"] == median  # no market value: median size
    assert values["all/Unknown/EEE"] == 5e11  # no sector
    assert values["all/Tech"] == 4e12
    assert values["all/Energy"] == 2e11 + median
    assert values["all"] == pytest.approx(3e12 + 1e12 + 2e11 + median + 5e11)
    assert tm.branchvalues == "total"
    parents = dict(zip(tm.ids, tm.parents, strict=True))
    assert parents["all/Tech/AAA"] == "all/Tech"
    assert parents["all/Tech"] == "all"
    colors = dict(zip(tm.ids, tm.marker.colors, strict=True))
    assert colors["all/Tech/AAA"] == -0.10
    assert colors["all/Tech"] == pytest.approx((-0.10 * 3e12 + 0.05 * 1e12) / 4e12)
    assert tm.marker.cmid == 0
    assert tm.marker.cmin == -tm.marker.cmax
    assert "FFF" not in tm.labels  # excluded firms are not drawn
    assert F.SURVIVORSHIP_NOTE in _annotation_texts(fig)


def test_sector_treemap_equal_sizes_without_market_values(windows: pd.DataFrame) -> None:
    fig = F.sector_treemap(
        windows, pd.Series(dtype="string"), pd.Series(dtype=float), window="-1:1"
    )
    (tm,) = fig.data
    leaves = [v for i, v in zip(tm.ids, tm.values, strict=True) if i.count("/") == 2]
    assert leaves == [1.0] * 5
    assert "equal sizes" in fig.layout.title.subtitle.text


def test_dollar_impact_bar_title_total_and_caveat(windows: pd.DataFrame) -> None:
    fig = F.dollar_impact_bar(windows, window="-1:1", top=2)
    (bar,) = fig.data
    total = sum(USD)
    amount = F.format_usd(total, long=True)
    assert fig.layout.title.text == f"These 5 stocks ended {amount} above what the model predicted"
    raw = windows.assign(value_change=-2 * windows["dollar_impact"])
    title = F.dollar_impact_bar(raw, window="-1:1", top=2).layout.title.text
    lost = F.format_usd(2 * total, long=True)
    assert (
        title
        == f"These 5 stocks lost {lost} in market value;<br>{amount} more than the model predicted"
    )
    assert list(bar.x) == [-2.0e9, -3.0e8, 1.5e9, 4.0e9]  # 2 losers, 2 gainers, sorted
    assert list(bar.text) == [f"{MINUS}$2.0B", f"{MINUS}$300M", "$1.5B", "$4.0B"]
    assert list(bar.marker.color) == [theme.NEGATIVE] * 2 + [theme.POSITIVE] * 2
    assert F.SURVIVORSHIP_NOTE in _annotation_texts(fig)
    assert list(fig.layout.xaxis.ticktext)[list(fig.layout.xaxis.tickvals).index(0)] == "$0"


# ---------------------------------------------------------------------------------------------
# 5. Test statistics
# ---------------------------------------------------------------------------------------------


def test_statistics_table_rows_in_canonical_order(tests_frame: pd.DataFrame) -> None:
    fig = F.test_statistics_table(tests_frame, window="-1:1")
    (table,) = fig.data
    names, stats, ps, readings = (list(c) for c in table.cells.values)
    assert names == list(F.TEST_LABELS.values())
    row = {name: i for i, name in enumerate(F.TEST_LABELS)}
    assert stats[0] == f"{MINUS}4.10"
    assert stats[row["wilcoxon"]] == "3"  # Wilcoxon W is a rank sum: no decimals
    assert ps[:4] == ["< 0.001", "0.003", "0.005", "0.020"]
    assert readings[0] == "the average abnormal return is very unlikely to be noise"
    assert readings[row["gen_sign_z"]] == (
        "the balance of gainers and losers is consistent with noise"
    )
    assert readings[row["skew_t"]] == (
        "the average buy-and-hold abnormal return is probably not noise (significant at 5%)"
    )
    fills = list(table.cells.fill.color[0])
    assert fills[0].startswith("rgba(214,39,40")  # significant and negative: red tint
    assert fills[row["kp_bmp_t"]] == "white"  # p = 0.06
    assert fills[row["wilcoxon"]].startswith("rgba(158,158,158")  # significant, no direction


# ---------------------------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------------------------


def _empty_figures() -> list[go.Figure]:
    empty = pd.DataFrame()
    series = pd.Series(dtype=float)
    return [
        F.price_paths(empty, day0="2025-01-27"),
        F.abnormal_returns_bar(empty, empty, window="0:0"),
        F.caar_path(empty, window="-1:1"),
        F.sector_treemap(empty, series, series, window="-1:1"),
        F.dollar_impact_bar(empty, window="-1:1"),
        F.test_statistics_table(empty, window="-1:1"),
    ]


def test_every_builder_handles_empty_frames() -> None:
    for fig in _empty_figures():
        assert fig.data == ()
        assert _annotation_texts(fig) == [F.NO_DATA]
        assert fig.layout.annotations[0].x == 0.5
        assert fig.layout.annotations[0].y == 0.5
        assert fig.layout.title.text


def test_builders_handle_a_window_with_no_rows(
    days: pd.DataFrame, windows: pd.DataFrame, aar: pd.DataFrame, tests_frame: pd.DataFrame
) -> None:
    figs = [
        F.abnormal_returns_bar(days, windows, window="-5:5"),
        F.caar_path(aar, window="-5:5"),
        F.sector_treemap(windows, pd.Series(dtype=str), pd.Series(dtype=float), window="-5:5"),
        F.dollar_impact_bar(windows, window="-5:5"),
        F.test_statistics_table(tests_frame, window="-5:5"),
    ]
    for fig in figs:
        assert _annotation_texts(fig) == [F.NO_DATA]


def test_dollar_impact_without_market_values(windows: pd.DataFrame) -> None:
    fig = F.dollar_impact_bar(windows.assign(dollar_impact=np.nan), window="-1:1")
    assert _annotation_texts(fig) == [F.NO_DATA]


def test_malformed_frame_names_its_columns(windows: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"windows frame lacks columns \['car'\]"):
        F.abnormal_returns_bar(pd.DataFrame(), windows.drop(columns="car"), window="-1:1")


@pytest.mark.parametrize(
    "call",
    [
        lambda d, w: F.abnormal_returns_bar(d, w, alpha=1.5),
        lambda d, w: F.abnormal_returns_bar(d, w, max_bars=1),
        lambda d, w: F.dollar_impact_bar(w, window="-1:1", top=0),
        lambda d, w: F.price_paths(d, day0="2025-01-27", max_lines=0),
    ],
)
def test_bad_options_raise_spec_error(
    call: Callable[[pd.DataFrame, pd.DataFrame], object], days: pd.DataFrame, windows: pd.DataFrame
) -> None:
    with pytest.raises(SpecError):
        call(days, windows)


def test_builders_do_not_mutate_inputs(
    days: pd.DataFrame, windows: pd.DataFrame, aar: pd.DataFrame, tests_frame: pd.DataFrame
) -> None:
    before = [f.copy(deep=True) for f in (days, windows, aar, tests_frame)]
    result = SimpleNamespace(
        firms=pd.DataFrame({"day0": [pd.Timestamp("2025-01-27")]}),
        days=days,
        windows=windows,
        aar=aar,
        tests=tests_frame,
    )
    all_figures(result, window="-1:1")
    for old, new in zip(before, (days, windows, aar, tests_frame), strict=True):
        pd.testing.assert_frame_equal(old, new)


def test_all_figures_uses_stable_names(
    days: pd.DataFrame,
    windows: pd.DataFrame,
    aar: pd.DataFrame,
    tests_frame: pd.DataFrame,
    prices: pd.DataFrame,
) -> None:
    result = SimpleNamespace(
        firms=pd.DataFrame({"day0": [pd.Timestamp("2025-01-27")] * 5}),
        days=days,
        windows=windows,
        aar=aar,
        tests=tests_frame,
    )
    figs = all_figures(result, window="-1:1", headline="Chips slide", prices=prices)
    assert tuple(figs) == F.CHARTS
    assert [t.name for t in figs["price_paths"].data][-1] == "SPY (benchmark)"
    assert figs["abnormal_returns"].data[0].type == "bar"
    assert figs["caar"].data[0].type == "scatter"
    assert figs["sector_treemap"].data[0].type == "treemap"
    assert figs["tests"].data[0].type == "table"
    no_prices = all_figures(result, window="-1:1")
    assert no_prices["price_paths"].data == ()


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's RUF022 order: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_public_names_are_sorted() -> None:
    for module in (*MODULES, theme):
        assert list(module.__all__) == sorted(module.__all__, key=_isort_key)
        assert all(hasattr(module, name) for name in module.__all__)


# ---------------------------------------------------------------------------------------------
# On a real study (the DeepSeek shock of 2025-01-27)
# ---------------------------------------------------------------------------------------------


class _PackPrices:
    """Minimal price provider over the shared DeepSeek pack, independent of the store."""

    def __init__(self, wide: pd.DataFrame) -> None:
        self.wide = wide

    def panel(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        from analytics.calendar import sessions

        return self.wide.reindex(index=sessions(start, end), columns=list(tickers))

    def coverage(self, tickers: list[str]) -> pd.DataFrame:
        sub = self.wide.reindex(columns=list(tickers))
        return pd.DataFrame(
            {
                "ticker": list(tickers),
                "first": [sub[t].first_valid_index() for t in tickers],
                "last": [sub[t].last_valid_index() for t in tickers],
                "rows": sub.notna().sum().to_numpy(),
            }
        )


# exchange_calendars (building the XNYS calendar) trips a pandas 3.1 deprecation of its own.
@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray:DeprecationWarning")
def test_all_figures_on_the_deepseek_study(shared_dir: Path) -> None:
    study = pytest.importorskip("analytics.study.engine")
    spec_module = pytest.importorskip("analytics.study.spec")
    long = pd.read_parquet(shared_dir / "market-data" / "deepseek-universe.parquet")
    wide = long.pivot(index="date", columns="ticker", values="adj_close")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    tickers = ["NVDA", "AVGO", "TSM", "MSFT", "VST", "CEG", "KO", "JPM", "WMT", "XOM"]
    spec = spec_module.StudySpec.create(tickers=tickers, date="2025-01-27", timing="before_open")
    result = study.run_study(spec, _PackPrices(wide))
    prices = wide.loc["2025-01-13":"2025-02-07", [*tickers, "SPY"]]

    figs = all_figures(result, window="0:0", headline="DeepSeek's Market Jolt", prices=prices)

    assert tuple(figs) == F.CHARTS
    for name in ("price_paths", "abnormal_returns", "caar", "sector_treemap", "tests"):
        assert figs[name].data, name
    # README's market fact: NVDA closed 142.41 → 118.24 on day 0 (−16.97%).
    nvda = next(t for t in figs["price_paths"].data if t.name == "NVDA")
    assert np.asarray(nvda.y)[list(nvda.x).index(0)] == pytest.approx(
        118.24 / 142.41 * 100, abs=0.01
    )
    bar = figs["abnormal_returns"].data[0]
    shown = dict(zip(bar.y, bar.x, strict=True))
    w = result.windows
    car = w.loc[(w["window"] == "0:0") & (w["ticker"] == "NVDA"), "car"].item()
    assert shown["NVDA"] == car < -0.10
    assert bar.marker.color[list(bar.y).index("NVDA")] == theme.NEGATIVE
    assert list(bar.x) == sorted(bar.x)
    assert figs["tests"].data[0].cells.values[0][0] == "Cross-sectional t"


def test_price_paths_trim_sessions_without_any_price() -> None:
    dates = pd.DatetimeIndex(["2025-01-23", "2025-01-24", "2025-01-27", "2025-01-28", "2025-01-29"])
    prices = pd.DataFrame({"NVDA": [140.0, 142.41, 118.24, np.nan, np.nan]}, index=dates)
    fig = F.price_paths(prices, day0="2025-01-27", benchmark=None)
    assert list(fig.data[0].x) == [-2, -1, 0]
