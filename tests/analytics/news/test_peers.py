"""Industry peers: SIC tiers, size order, shared budget; and on the reference tables."""

from __future__ import annotations

import pandas as pd

from analytics.data.reference import sic_codes, sp500
from analytics.news.peers import find_peers
from tests.support import REFERENCE

SIC = pd.DataFrame(
    {
        "ticker": ["INTC", "AMD", "NVDA", "TXN", "MSFT", "ORCL", "ADBE", "QCOM"],
        "sic": [3674, 3674, 3674, 3672, 7372, 7372, 7372, 3663],
        "description": [""] * 8,
    }
)
SIZES = pd.Series({"NVDA": 3e12, "AMD": 2e11, "TXN": 1.7e11, "ORCL": 4e11, "ADBE": 2e11})


def test_four_digit_code_first_then_three_digit_largest_first() -> None:
    peers = find_peers(["INTC"], SIC, SIZES)
    assert [(p.ticker, p.reason) for p in peers] == [
        ("NVDA", "peer of INTC, SIC 3674"),
        ("AMD", "peer of INTC, SIC 3674"),
        ("TXN", "peer of INTC, SIC 367x"),
    ]  # QCOM (366x) is not a peer


def test_companies_share_the_budget_in_turns_and_are_never_their_own_peers() -> None:
    peers = find_peers(["INTC", "MSFT", "AMD"], SIC, SIZES, limit=4)
    assert [(p.ticker, p.of) for p in peers] == [
        ("NVDA", "INTC"),
        ("ORCL", "MSFT"),
        ("TXN", "AMD"),  # NVDA is taken
        ("ADBE", "MSFT"),  # INTC has no peer left
    ]
    assert not {"INTC", "MSFT", "AMD"} & {p.ticker for p in peers}


def test_limit_and_exclude() -> None:
    assert find_peers(["INTC"], SIC, SIZES, limit=0) == []
    assert [p.ticker for p in find_peers(["INTC"], SIC, SIZES, exclude=["NVDA"])] == ["AMD", "TXN"]


def test_unknown_size_comes_after_known_sizes_in_list_order() -> None:
    sic = pd.DataFrame({"ticker": ["A", "B", "C", "D"], "sic": [1000] * 4, "description": [""] * 4})
    assert [p.ticker for p in find_peers(["A"], sic, pd.Series({"D": 1.0}))] == ["D", "B", "C"]


def test_without_sic_code_the_sp500_industry_is_used() -> None:
    industries = pd.Series({"NKE": "Footwear", "DECK": "Footwear", "KO": "Beverages"})
    peers = find_peers(["NKE"], SIC, pd.Series({"DECK": 1e10}), industries=industries)
    assert [(p.ticker, p.reason) for p in peers] == [("DECK", "peer of NKE, industry Footwear")]


def test_intel_peers_on_the_reference_tables() -> None:
    """Every peer shares Intel's SIC 3674 and they come largest first by the snapshot's cap."""
    raw = pd.read_csv(REFERENCE / "sec-sic-tech.csv")
    same = set(raw.loc[raw["sic"] == 3674, "ticker"]) - {"INTC"}
    caps = pd.read_csv(next(REFERENCE.glob("sp500-companies-*.csv"))).set_index("ticker")
    expected = caps.loc[caps.index.isin(same), "market_cap"].sort_values(ascending=False)
    members = sp500(REFERENCE).set_index("ticker")["market_cap"]
    peers = find_peers(["INTC"], sic_codes(REFERENCE), members, limit=5)
    assert [p.ticker for p in peers] == list(expected.index[:5])
    assert peers[0].ticker == "NVDA" and peers[1].ticker == "AVGO"
