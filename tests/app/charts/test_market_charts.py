"""Charts at market scale: the aggregated sector treemap and the price chart's quantile bands,
their numbers against independent pandas computations on seeded data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from app.charts.impact import sector_treemap
from app.charts.prices import price_paths

SECTORS = ("Technology", "Energy", "Utilities", "Healthcare", "Unknown")


def _market(
    n: int, *, missing: float = 0.3, seed: int = 7
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """``n`` firms: a windows frame (window -1:1, a few excluded), sectors, and market values
    for all but a share ``missing`` of them."""
    rng = np.random.default_rng(seed)
    tickers = [f"F{i:04d}" for i in range(n)]
    status = np.where(rng.random(n) < 0.03, "excluded: missing returns", "ok")
    windows = pd.DataFrame(
        {
            "event_id": np.arange(n),
            "ticker": tickers,
            "window": "-1:1",
            "status": status,
            "car": rng.normal(0.0, 0.04, n),
        }
    )
    sectors = pd.Series(rng.choice(SECTORS, n), index=tickers)
    caps = pd.Series(np.exp(rng.normal(23, 1.5, n)), index=tickers)
    caps[rng.random(n) < missing] = np.nan
    return windows, sectors, caps.dropna()


def _expected_tiles(
    windows: pd.DataFrame, sectors: pd.Series, caps: pd.Series, top: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per sector (size, CAR) and per firm tile (size, CAR), computed apart from the chart."""
    ok = windows[windows["status"] == "ok"].set_index("ticker")
    frame = pd.DataFrame({"car": ok["car"], "sector": sectors.reindex(ok.index)})
    frame["value"] = caps.reindex(frame.index)
    frame["size"] = frame["value"].fillna(caps.reindex(frame.index).median())
    frame["weighted"] = frame["car"] * frame["size"]
    sector = frame.groupby("sector").agg(size=("size", "sum"), weighted=("weighted", "sum"))
    sector["car"] = sector["weighted"] / sector["size"]
    ranked = frame.assign(known=frame["value"].fillna(-1.0)).sort_values(
        ["known", "size"], ascending=False, kind="stable"
    )
    shown = ranked.index[:top]
    firms = frame.loc[shown, ["sector", "size", "car"]]
    firms.index = [f"all/{s}/{t}" for t, s in zip(firms.index, firms["sector"], strict=True)]
    rest = (
        frame.drop(shown)
        .groupby("sector")
        .agg(size=("size", "sum"), weighted=("weighted", "sum"), n=("car", "size"))
    )
    rest["car"] = rest["weighted"] / rest["size"]
    rest.index = [f"all/{s}/others" for s in rest.index]
    tiles = pd.concat([firms[["size", "car"]], rest[["size", "car", "n"]]])
    return sector, tiles


def test_the_treemap_shows_the_largest_firms_and_one_tile_per_sector_for_the_rest() -> None:
    windows, sectors, caps = _market(3000)
    fig = sector_treemap(windows, sectors, caps, window="-1:1", max_firms=200)
    trace = fig.data[0]
    drawn = pd.DataFrame(
        {"size": trace.values, "car": trace.marker.colors, "label": trace.labels},
        index=list(trace.ids),
    )
    sector, tiles = _expected_tiles(windows, sectors, caps, top=200)

    # Light at any size: 200 firms, one "others" tile and one tile per sector, and the root.
    assert len(drawn) == 1 + len(SECTORS) + 200 + len(SECTORS)
    firms = drawn.loc[[f"all/{s}" for s in sector.index]]
    np.testing.assert_allclose(firms["size"], sector["size"], rtol=1e-12)
    np.testing.assert_allclose(firms["car"], sector["car"], rtol=1e-12)
    leaves = drawn.loc[tiles.index]
    np.testing.assert_allclose(leaves["size"], tiles["size"], rtol=1e-12)
    np.testing.assert_allclose(leaves["car"], tiles["car"], rtol=1e-12)
    others = tiles.dropna(subset=["n"])
    assert list(drawn.loc[others.index, "label"]) == [f"{int(n):,} more firms" for n in others["n"]]
    ok = int((windows["status"] == "ok").sum())
    assert drawn.loc["all", "size"] == pytest.approx(sector["size"].sum(), rel=1e-12)
    assert int(others["n"].sum()) + 200 == ok
    # The subtitle states the rule; the path bar leads back from a sector opened by a click.
    subtitle = fig.layout.title.subtitle.text
    assert f"{ok:,} firms" in subtitle and "drawn at the median known value" in subtitle
    assert "The 200 largest firms apart, the others as one tile per sector" in subtitle
    assert "click a sector to open it" in subtitle
    assert trace.pathbar.visible is True


def test_firms_without_a_market_value_are_left_out_when_they_are_most() -> None:
    windows, sectors, caps = _market(3000, missing=0.8)
    fig = sector_treemap(windows, sectors, caps, window="-1:1", max_firms=200)
    trace = fig.data[0]
    ok = windows[windows["status"] == "ok"]
    valued = ok[ok["ticker"].isin(caps.index)]
    left = ok[~ok["ticker"].isin(caps.index)]
    # Sizes are market values only: the map adds up to the known values, nothing imputed.
    assert trace.values[0] == pytest.approx(caps.reindex(valued["ticker"]).sum(), rel=1e-12)
    sector, tiles = _expected_tiles(valued, sectors, caps, top=200)
    drawn = pd.Series(trace.values, index=list(trace.ids))
    np.testing.assert_allclose(drawn.loc[tiles.index], tiles["size"], rtol=1e-12)
    ids = [f"all/{s}" for s in sector.index]
    np.testing.assert_allclose(drawn.loc[ids], sector["size"], rtol=1e-12)
    subtitle = fig.layout.title.subtitle.text
    assert f"{len(valued):,} of {len(ok):,} firms" in subtitle
    mean = f"{left['car'].mean():+.2%}".replace("-", "−")
    assert f"{len(left):,} without a market value left out (their mean CAR {mean})" in subtitle
    assert "median" not in subtitle


def test_a_small_treemap_keeps_every_firm() -> None:
    windows, sectors, caps = _market(150)
    trace = sector_treemap(windows, sectors, caps, window="-1:1").data[0]
    ok = windows[windows["status"] == "ok"]
    assert not any(i.endswith("/others") for i in trace.ids)
    assert len(trace.ids) == 1 + sectors.reindex(ok["ticker"]).nunique() + len(ok)
    assert trace.pathbar.visible is False


def _paths(n: int, seed: int = 3) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Random-walk closes of ``n`` firms and SPY over 21 sessions, some missing."""
    rng = np.random.default_rng(seed)
    days = sessions("2025-01-13", "2025-02-11")
    steps = rng.normal(0.0, 0.02, (len(days), n + 1))
    closes = 50.0 * np.exp(np.cumsum(steps, axis=0))
    closes[rng.random(closes.shape) < 0.02] = np.nan
    columns = [*(f"F{i:04d}" for i in range(n)), "SPY"]
    return pd.DataFrame(closes, index=days, columns=columns), pd.Timestamp("2025-01-27")


def test_above_600_firms_the_price_chart_draws_quantile_bands() -> None:
    prices, day0 = _paths(800)
    fig = price_paths(prices, day0=day0, benchmark="SPY", pinned=("F0007",))
    base = prices.iloc[prices.index.get_loc(day0) - 1]
    firms = [c for c in prices.columns if c != "SPY" and base[c] > 0]
    rebased = prices[firms] / base[firms] * 100.0
    expected = {q: rebased.quantile(q, axis=1) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["Median of firms"].y, expected[0.5], rtol=1e-12)
    upper = {t.name: t.y for t in fig.data if t.fill == "tonexty"}
    np.testing.assert_allclose(upper["5%–95% of firms"], expected[0.95], rtol=1e-12)
    np.testing.assert_allclose(upper["25%–75% of firms"], expected[0.75], rtol=1e-12)
    lower = [t.y for t in fig.data if t.showlegend is False]
    np.testing.assert_allclose(lower[0], expected[0.05], rtol=1e-12)
    np.testing.assert_allclose(lower[1], expected[0.25], rtol=1e-12)
    # No line per firm: only the pinned firm, the benchmark and the bands (5 traces).
    assert {t.name for t in fig.data} == {
        "F0007", "SPY (benchmark)", "Median of firms", "5%–95% of firms", "25%–75% of firms", None
    }  # fmt: skip
    subtitle = fig.layout.title.subtitle.text
    assert f"{len(firms):,} firms in bands: median, 25–75%, 5–95% (over 600 firms)" in subtitle


def test_up_to_600_firms_the_price_chart_draws_lines() -> None:
    prices, day0 = _paths(600)
    fig = price_paths(prices, day0=day0, benchmark="SPY")
    names = [t.name for t in fig.data]
    assert "Median of firms" not in names and len(names) == 13  # 12 largest movers + SPY
