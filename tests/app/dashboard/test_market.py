"""The "All US stocks" universe in the dashboard: the preset and its link, the study of every
common stock in the store, its header, and a grid whose thousands of rows are sent once per
study (never on a tab switch or a chart click)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from dash import no_update

from analytics import calendar
from analytics.data.market import common_stocks, market_universe
from analytics.study.options import DEFAULTS
from app.dashboard import ids
from app.dashboard.app import create_app
from app.dashboard.cache import DashboardData
from app.dashboard.features.results import grid_rows, summary
from app.dashboard.state import MAX_TICKERS, PRESETS, from_query, to_query
from app.settings import Settings
from tests.support import MARKET_DATA, NEWS, REFERENCE, US_PACK, component_texts, us_store

LINK = "?preset=allus&date=2025-01-27&placebo=0"
# The store's span: the estimation window's closes of the DeepSeek day to the chart's end.
SPAN = ("2023-12-01", "2025-03-14")


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> DashboardData:
    """The dashboard's data over a store holding the whole US pack around the DeepSeek day,
    and no data pack: the universe is what the store holds."""
    if not US_PACK.is_file():
        pytest.skip(f"US pack not found at {US_PACK}")
    root = tmp_path_factory.mktemp("market-store")
    us_store(root, *SPAN)
    settings = Settings(store=root, data_pack=None, news=NEWS, reference=REFERENCE, offline=True)
    return DashboardData(settings, cache_dir=tmp_path_factory.mktemp("market-cache"))


@pytest.fixture(scope="module")
def market_key(market: DashboardData) -> str:
    state, problems = from_query(LINK)
    assert problems == []
    return market.run(state)


def test_the_preset_and_its_link() -> None:
    assert PRESETS["allus"] == "All US stocks"
    state, problems = from_query("?preset=allus")
    assert (state.preset, state.sector, problems) == ("allus", None, [])
    assert from_query(to_query(state))[0] == state
    assert "preset=allus" in to_query(state)


@pytest.mark.slow
def test_the_study_takes_every_common_stock_with_history_and_counts_them_in_the_header(
    market: DashboardData, market_key: str
) -> None:
    state, _ = from_query(LINK)
    expected = market_universe(
        market.store(),
        REFERENCE,
        day0=calendar.day_zero(state.date, state.timing),
        estimation=state.estimation,
        min_estimation=DEFAULTS.min_estimation,
        exclude=("SPY",),
    )
    result = market.result(market_key)
    assert result is not None
    assert list(result.spec.tickers) == list(expected)
    assert len(expected) > MAX_TICKERS  # the cap of listed tickers does not apply
    ok = int((result.firms["status"] == "ok").sum())
    assert ok > 4_000
    text = " ".join(component_texts(summary(market, market_key)))
    assert f"across {ok:,} firms" in text
    assert re.search(r"across \d,\d{3} firms", text)


@pytest.mark.slow
def test_the_grid_rows_are_sent_once_per_study(market: DashboardData, market_key: str) -> None:
    # The grid's tab shown for the first time: every firm's row, and the study now held.
    columns, rows, _, held = grid_rows(market, market_key, "grid", None)
    result = market.result(market_key)
    assert result is not None
    assert len(rows) == result.firms["ticker"].nunique() > 4_000
    assert held == market_key and columns
    nvda = next(r for r in rows if r["ticker"] == "NVDA")
    assert nvda["sector"] == "Technology" and nvda["car0"] < -0.1 and nvda["sig0"] == "***"
    # Back to the grid, another tab, or a new study while another tab shows: nothing is sent.
    assert grid_rows(market, market_key, "grid", held) == (no_update,) * 4
    assert grid_rows(market, market_key, "sectors", held) == (no_update,) * 4
    assert grid_rows(market, "another-study", "prices", held) == (no_update,) * 4


def test_no_tab_switch_or_chart_click_resends_the_grid_rows(tmp_path: Path) -> None:
    settings = Settings(
        store=tmp_path, data_pack=None, news=NEWS, reference=REFERENCE, offline=True
    )
    app = create_app(settings, prepare=False)
    grid = [k for k in app.callback_map if f"{ids.GRID}.rowData" in k]
    assert len(grid) == 1
    inputs = {f"{d['id']}.{d['property']}" for d in app.callback_map[grid[0]]["inputs"]}
    assert inputs == {f"{ids.STUDY_KEY}.data", f"{ids.RESULTS_TABS}.value"}
    clicks = [
        k
        for k, c in app.callback_map.items()
        if any(d["property"] in ("clickData", "hoverData") for d in c["inputs"])
    ]
    assert clicks and not any(ids.GRID in k for k in clicks)
    # A tab switch back to the grid that holds this study's rows: an answer without outputs.
    body = {
        "output": grid[0],
        "outputs": [
            {"id": ids.GRID, "property": "columnDefs"},
            {"id": ids.GRID, "property": "rowData"},
            {"id": ids.EXCLUDED, "property": "children"},
            {"id": ids.GRID_STUDY, "property": "data"},
        ],
        "inputs": [
            {"id": ids.STUDY_KEY, "property": "data", "value": "k1"},
            {"id": ids.RESULTS_TABS, "property": "value", "value": "grid"},
        ],
        "state": [{"id": ids.GRID_STUDY, "property": "data", "value": "k1"}],
        "changedPropIds": [f"{ids.RESULTS_TABS}.value"],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data
    assert answer.get_json()["response"] == {}
    assert b"rowData" not in answer.data


@pytest.mark.slow
def test_before_the_store_holds_prices_the_candidates_stand_in(tmp_path: Path) -> None:
    # An empty store and the data pack: the view still gets a spec, a key and so a run
    # request, whose first step imports the candidates' prices (DashboardData.run).
    if not US_PACK.is_file():
        pytest.skip(f"US pack not found at {US_PACK}")
    settings = Settings(
        store=tmp_path / "store",
        data_pack=MARKET_DATA,
        news=NEWS,
        reference=REFERENCE,
        offline=True,
    )
    (tmp_path / "cache").mkdir()
    data = DashboardData(settings, cache_dir=tmp_path / "cache")
    state, _ = from_query(LINK)
    members = data.market.members(state)
    in_pack = set(pd.read_parquet(US_PACK, columns=["ticker"])["ticker"].unique())
    expected = [t for t in common_stocks(REFERENCE)["ticker"] if t in in_pack and t != "SPY"]
    assert list(members) == expected
    prepared = data.prepare(state)
    assert data.result(prepared.key) is None
    assert len(prepared.spec.tickers) == len(expected)
