"""The ticker picker's search: company names as users type them, ranking, typed tickers."""

from __future__ import annotations

from pathlib import Path

import pytest
from dash import no_update

from app.dashboard.cache import DashboardData
from app.dashboard.features.controls import add_typed_ticker, ticker_choices
from app.settings import Settings
from tests.support import REFERENCE


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> DashboardData:
    if not REFERENCE.is_dir():
        pytest.skip(f"shared reference data not found at {REFERENCE}")
    store: Path = tmp_path_factory.mktemp("store")
    return DashboardData(
        Settings(store=store, data_pack=None, news=None, reference=REFERENCE, offline=True)
    )


# Expected tickers are the companies' listings (public knowledge), not read from the code.
@pytest.mark.parametrize(
    ("typed", "ticker"),
    [
        ("apple", "AAPL"),
        ("AAPL", "AAPL"),
        ("Costco", "COST"),
        ("nike", "NKE"),
        ("JPMorgan", "JPM"),
        ("exxon", "XOM"),
        ("Disney", "DIS"),
        ("walt disney", "DIS"),
        ("Ford", "F"),
        ("coca-cola", "KO"),
        ("brk.b", "BRK-B"),
    ],
)
def test_company_names_and_tickers_find_the_company_first(
    data: DashboardData, typed: str, ticker: str
) -> None:
    found = data.search_tickers(typed)
    assert found[0]["value"] == ticker, [o["label"] for o in found[:5]]


def test_names_match_by_word_prefix_not_inside_words(data: DashboardData) -> None:
    # "ford" starts a word of "Ford Motor" and of "Forward Industries"' ticker FORD, but is
    # inside "Hartford" and "Crawford": those are not found by name.
    found = [o["value"] for o in data.search_tickers("ford", limit=100)]
    assert {"F", "FORD"} <= set(found)
    assert "HIG" not in found and "CRD-A" not in found


def test_sp500_members_come_before_other_listings(data: DashboardData) -> None:
    found = [o["value"] for o in data.search_tickers("apple")]
    assert found[0] == "AAPL" and "APLE" in found[1:]


def test_a_cleared_search_keeps_the_options_a_pick_came_from(data: DashboardData) -> None:
    assert ticker_choices(data, "searchValue", "", ["AAPL"]) is no_update
    after = ticker_choices(data, "value", "", ["AAPL"])
    assert after[0] == {"value": "AAPL", "label": "AAPL · Apple Inc."}


def test_enter_adds_a_typed_known_ticker(data: DashboardData) -> None:
    assert add_typed_ticker(data, " nke ", ["AAPL"]) == (["AAPL", "NKE"], "")
    assert add_typed_ticker(data, "NKE", ["NKE"]) == (no_update, "")
    assert add_typed_ticker(data, "not a ticker", []) == (no_update, no_update)
