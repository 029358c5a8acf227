"""The dashboard lists every dropped firm with its reason (issue: S&P 500 Technology has 82
members, 77 were studied and the Excluded panel was empty)."""

from __future__ import annotations

import dataclasses

import pytest

from app.dashboard.cache import DashboardData
from app.dashboard.features.results import grid_table
from app.dashboard.state import DEFAULT_STATE, from_query, to_query
from tests.support import component_texts

# The S&P 500 snapshot's Technology members the data pack has no prices of.
NOT_IN_PACK = {"ANSS", "DAY", "FI", "JNPR", "ROP"}


@pytest.mark.slow
def test_sp500_technology_lists_the_five_firms_without_prices(data: DashboardData) -> None:
    state = dataclasses.replace(
        DEFAULT_STATE, preset="sp500", sector="Technology", tickers=("SPY",)
    )
    assert len(data.sector_members["Technology"]) == 82
    key = data.run(state)
    result = data.result(key)
    assert result is not None
    assert (result.firms["status"] == "ok").sum() == 77
    excluded = result.excluded.set_index("ticker")["reason"].to_dict()
    assert excluded == {
        **dict.fromkeys(NOT_IN_PACK, "excluded: not in the data"),
        "SPY": "excluded: is the benchmark",
    }
    _, _, note = grid_table(data, key)
    shown = " ".join(component_texts(note))
    for ticker in [*NOT_IN_PACK, "SPY"]:
        assert ticker in shown
    assert "not in the data" in shown and "is the benchmark" in shown


def test_a_link_keeps_its_valid_tickers_and_lists_the_invalid_ones() -> None:
    state, problems = from_query("?preset=custom&tickers=nvda,B@D,AVGO,%3Bls,nvda")
    assert (state.preset, state.tickers, state.invalid) == (
        "custom",
        ("NVDA", "AVGO"),
        ("B@D", ";ls"),
    )
    assert problems == [
        "link parameter tickers: 'B@D', ';ls' are not ticker symbols "
        "(listed as excluded: invalid ticker)"
    ]
    again, _ = from_query(to_query(state))
    assert again == state


@pytest.mark.slow
def test_an_invalid_ticker_from_a_link_is_listed_as_excluded(data: DashboardData) -> None:
    state, _ = from_query("?preset=custom&tickers=NVDA,AVGO,B@D&date=2025-01-27&placebo=0")
    result = data.result(data.run(state))
    assert result is not None
    assert set(result.firms.loc[result.firms["status"] == "ok", "ticker"]) == {"NVDA", "AVGO"}
    excluded = result.excluded.set_index("ticker")["reason"].to_dict()
    assert excluded == {"B@D": "excluded: invalid ticker"}
    _, _, note = grid_table(data, data.run(state))
    assert "B@D" in " ".join(component_texts(note))
