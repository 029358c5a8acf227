"""The article drives the study, on the shared articles and two of our own, against the data pack.

Expected days, mentions and verdicts were written by reading each article; measured returns are
recomputed here from the pack's closes with pandas.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics import Workspace
from analytics.article_study import ArticleAnalysis, analyze_article, propose_study
from analytics.errors import AftershockError, DataError, SpecError
from analytics.news import Article, load_articles, parse_article
from analytics.study.options import StudyOptions
from tests.support import MARKET_DATA, NEWS, REFERENCE, US_PACK

D = dt.date
OWN = Path(__file__).parent / "news" / "articles"
FAST = StudyOptions(placebo=0)


def shared(name: str, *, from_text: bool = True) -> Article:
    """A shared article; ``from_text`` drops the index's date so the text must give day 0."""
    article = next(a for a in load_articles(NEWS) if a.source == name)
    return dataclasses.replace(article, date=None, timing=None) if from_text else article


def own(name: str) -> Article:
    return parse_article((OWN / name).read_bytes(), source=name)


def close_return(ticker: str, day: str, since: str | None = None) -> float:
    """Close-to-close return from the session before ``since`` (or ``day``) to ``day``."""
    frame = duckdb.sql(
        f"select date, adj_close from '{US_PACK}' where ticker = '{ticker}' "
        f"and date between date '{since or day}' - 10 and date '{day}' order by date"
    ).df()
    dates = pd.to_datetime(frame["date"])
    end = frame["adj_close"][dates == pd.Timestamp(day)].iloc[0]
    start = frame["adj_close"][dates < pd.Timestamp(since or day)].iloc[-1]
    return float(end / start - 1)


def close(ticker: str, day: str) -> float:
    return float(
        duckdb.sql(
            f"select adj_close from '{US_PACK}' where ticker = '{ticker}' and date = '{day}'"
        ).fetchall()[0][0]
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace.open(
        tmp_path_factory.mktemp("store"), data_pack=MARKET_DATA, reference=REFERENCE, offline=True
    )


@pytest.fixture(scope="module")
def tariffs(workspace: Workspace) -> ArticleAnalysis:
    return analyze_article(
        workspace, shared("tariff-shock-2025-04.txt"), options=FAST, comparison=False
    )


def verdicts(analysis: ArticleAnalysis) -> list[tuple[str | None, str | None, str]]:
    return [
        (c.claim.ticker, None if c.claim.day is None else c.claim.day.isoformat(), c.verdict)
        for c in analysis.claims
    ]


def test_tariffs_day0_mentions_universe(tariffs: ArticleAnalysis) -> None:
    p = tariffs.proposal
    assert (p.timing.event_date, p.timing.timing, p.timing.day0) == (
        D(2025, 4, 2),
        "after_close",
        D(2025, 4, 3),
    )
    assert p.timing.sentence.startswith("On the evening of April 2, 2025, after U.S. exchanges")
    assert [(m.ticker, m.kind) for m in p.mentions] == [
        ("SPY", "index"),
        ("AAPL", "company"),
        ("ONEQ", "index"),
    ]
    assert p.benchmark == "SPY"
    assert p.universe[0].ticker == "AAPL" and p.universe[0].reason == "named"
    peers = [u for u in p.universe if u.role == "peer"]
    assert len(peers) == 20 and peers[0].reason == "peer of AAPL, SIC 3571"
    assert ("ONEQ", "market: Nasdaq Composite") in [(u.ticker, u.reason) for u in p.universe]
    assert tariffs.result.firms["ticker"].iloc[0] == "AAPL"


def test_tariffs_claims(tariffs: ArticleAnalysis) -> None:
    assert verdicts(tariffs) == [
        ("SPY", "2025-04-03", "consistent"),  # "fell about 4.8 percent"
        ("AAPL", "2025-04-03", "consistent"),  # "dropped roughly 9 percent"
        (None, "2025-04-03", "not checkable"),  # retailers: a group
        ("SPY", "2025-04-04", "consistent"),  # "lost nearly 6 percent more"
        ("SPY", "2025-04-09", "consistent"),  # "jumped about 9.5 percent"
    ]
    spy, apple, _, friday, rebound = tariffs.claims
    assert spy.measured_return == pytest.approx(close_return("SPY", "2025-04-03"), abs=1e-12)
    assert apple.measured_return == pytest.approx(close_return("AAPL", "2025-04-03"), abs=1e-12)
    assert friday.measured_return == pytest.approx(close_return("SPY", "2025-04-04"), abs=1e-12)
    assert rebound.measured_return == pytest.approx(close_return("SPY", "2025-04-09"), abs=1e-12)
    days = tariffs.result.days
    ar = days.loc[(days["ticker"] == "AAPL") & (days["day"] == 0), "ar"].iloc[0]
    assert apple.measured_ar == pytest.approx(ar, abs=1e-15)
    assert spy.measured_ar is None  # the benchmark has no abnormal return of its own


def test_json_has_the_documented_keys(tariffs: ArticleAnalysis) -> None:
    data = json.loads(tariffs.to_json())
    assert {"headline", "event_date", "timing", "day0", "mentions", "universe", "claims"} <= set(
        data
    )
    assert (data["event_date"], data["timing"], data["day0"]) == (
        "2025-04-02",
        "after_close",
        "2025-04-03",
    )
    assert data["mentions"][0] == {"ticker": "SPY", "name": "S&P 500", "kind": "index", "count": 3}
    assert data["universe"][0] == {"ticker": "AAPL", "reason": "named"}
    claim = data["claims"][1]
    assert {"text", "subject", "ticker", "day", "direction", "magnitude", "unit"} <= set(claim)
    assert {"measured_return", "measured_ar", "verdict"} <= set(claim)
    assert (claim["direction"], claim["magnitude"], claim["unit"]) == ("down", 9.0, "percent")
    assert claim["measured_return"] == pytest.approx(-0.0925, abs=5e-5)


def test_selloff(workspace: Workspace) -> None:
    analysis = analyze_article(
        workspace, shared("global-selloff-2024-08-05.txt"), options=FAST, comparison=False
    )
    p = analysis.proposal
    assert (p.timing.event_date, p.timing.timing, p.timing.day0) == (
        D(2024, 8, 5),
        "before_open",
        D(2024, 8, 5),
    )
    assert [(m.name, m.kind) for m in p.mentions if m.kind == "index"] == [
        ("Nikkei 225", "index"),
        ("S&P 500", "index"),
        ("Nasdaq Composite", "index"),
        ("Cboe Volatility Index", "index"),
    ]
    assert [m.ticker for m in p.mentions if m.kind == "company"] == ["NVDA", "AAPL", "MSFT"]
    assert verdicts(analysis) == [
        (None, "2024-08-05", "not checkable"),  # the Nikkei: no fund in the data
        ("SPY", "2024-08-05", "consistent"),  # "lost 3.0 percent"
        ("ONEQ", "2024-08-05", "consistent"),  # "and the Nasdaq Composite 3.4 percent"
    ]
    assert "Nikkei 225" in analysis.claims[0].reason
    nasdaq = analysis.claims[2]
    assert nasdaq.measured_return == pytest.approx(close_return("ONEQ", "2024-08-05"), abs=1e-12)


def test_deepseek_dollar_claims(workspace: Workspace) -> None:
    analysis = analyze_article(workspace, shared("deepseek-market-jolt.txt"), options=FAST)
    p = analysis.proposal
    assert p.timing.day0 == D(2025, 1, 27)
    assert [(m.ticker, m.kind) for m in p.mentions] == [("VTI", "index"), ("NVDA", "company")]
    # "US Stocks Shed Trillions": the study's firms lost well under $2 trillion that day.
    market, nvidia = analysis.claims
    assert (market.claim.subject, market.verdict) == ("US stocks", "overstated")
    assert -1.5e12 < market.measured_value < -0.5e12
    # "a staggering loss of hundreds of billions in market capitalization": Nvidia's.
    assert (nvidia.claim.ticker, nvidia.verdict) == ("NVDA", "consistent")
    caps = pd.read_csv(next(REFERENCE.glob("sp500-companies-*.csv"))).set_index("ticker")
    value = (
        caps.at["NVDA", "market_cap"] * close("NVDA", "2025-01-24") / close("NVDA", "2024-12-20")
    )
    expected = value * close_return("NVDA", "2025-01-27")
    assert nvidia.measured_value == pytest.approx(expected, rel=1e-9)
    comparison = [u for u in p.universe if u.role == "comparison"]
    assert len(comparison) > 400 and comparison[0].reason == "comparison group: S&P 500"


def test_earnings_collapse_after_the_close(workspace: Workspace) -> None:
    analysis = analyze_article(
        workspace, own("intel-earnings-2024-08.txt"), options=FAST, comparison=False
    )
    p = analysis.proposal
    assert (p.timing.event_date, p.timing.timing, p.timing.day0) == (
        D(2024, 8, 1),
        "after_close",
        D(2024, 8, 2),
    )
    assert [u.ticker for u in p.universe[:2]] == ["INTC", "AMD"]
    assert verdicts(analysis) == [
        ("INTC", "2024-08-02", "consistent"),  # "plunged 26%"
        ("INTC", "2024-08-02", "consistent"),  # "erasing more than $30 billion"
        ("SPY", "2024-08-02", "consistent"),  # "slipped 1.8 percent"
        ("INTC", "2024-08-05", "consistent"),  # "fell another 6% on Monday"
    ]
    assert analysis.claims[0].measured_return == pytest.approx(
        close_return("INTC", "2024-08-02"), abs=1e-12
    )


def test_pre_market_outage(workspace: Workspace) -> None:
    analysis = analyze_article(
        workspace, own("crowdstrike-outage-2024-07.txt"), options=FAST, comparison=False
    )
    p = analysis.proposal
    assert (p.timing.event_date, p.timing.timing, p.timing.day0) == (
        D(2024, 7, 19),
        "before_open",
        D(2024, 7, 19),
    )
    assert verdicts(analysis) == [
        ("CRWD", "2024-07-19", "consistent"),  # "tumbled 11% on Friday"
        ("MSFT", "2024-07-19", "consistent"),  # "dipped less than 1 percent"
        ("CRWD", "2024-07-22", "consistent"),  # "fell another 13.5 percent" on Monday
        ("CRWD", "2024-07-22", "consistent"),  # "by then ... roughly $20 billion"
    ]
    two_days = analysis.claims[3]
    assert two_days.claim.since == D(2024, 7, 19)
    assert two_days.measured_return == pytest.approx(
        close_return("CRWD", "2024-07-22", since="2024-07-19"), abs=1e-12
    )


def test_index_values_win(workspace: Workspace) -> None:
    article = shared("deepseek-market-jolt.txt", from_text=False)
    proposal = propose_study(article, REFERENCE, comparison=False)
    assert (proposal.timing.source, proposal.timing.day0) == ("index", D(2025, 1, 27))


# -- bad input -----------------------------------------------------------------------------------


def test_no_date(workspace: Workspace) -> None:
    with pytest.raises(SpecError, match="names no date"):
        analyze_article(workspace, parse_article("Nvidia slides\nShares fell 5%."), options=FAST)


def test_future_date(workspace: Workspace) -> None:
    text = "Nvidia slides\nOn Monday, January 4, 2027, Nvidia shares fell 5%."
    with pytest.raises(SpecError, match="in the future"):
        analyze_article(workspace, parse_article(text), options=FAST)


def test_date_before_the_data(workspace: Workspace) -> None:
    text = "Nvidia slides\nOn Monday, March 6, 1995, Nvidia shares fell 5%."
    with pytest.raises(AftershockError) as caught:
        analyze_article(workspace, parse_article(text), options=FAST, comparison=False)
    assert "Traceback" not in str(caught.value) and str(caught.value)


def test_only_indexes(workspace: Workspace) -> None:
    text = "Stocks slide\nOn Monday, August 5, 2024, the S&P 500 lost 3.0 percent."
    with pytest.raises(SpecError, match="names no company or index the data holds"):
        propose_study(parse_article(text), REFERENCE, comparison=False)
    with_group = propose_study(parse_article(text), REFERENCE)
    assert {u.role for u in with_group.universe} == {"comparison"}
    assert any("names no company" in note for note in with_group.notes)


def test_html_article_is_cleaned(workspace: Workspace) -> None:
    html = (
        "<h1>Intel Plunges</h1>\n<p>After the closing bell on Thursday, August 1, 2024, "
        "<b>Intel</b> reported a loss.</p><script>var x = 'fell 90%';</script>\n"
        "<p>Intel's shares plunged 26% on Friday.</p>"
    )
    proposal = propose_study(parse_article(html), REFERENCE, comparison=False)
    assert proposal.timing.day0 == D(2024, 8, 2)
    assert [c.magnitude for c in proposal.claims] == [26.0]


def test_non_utf8_and_oversized_text() -> None:
    with pytest.raises(DataError, match="not UTF-8"):
        parse_article("Intel \xe9\nShares fell".encode("latin-1"))
    with pytest.raises(DataError, match="larger than the limit"):
        parse_article("Headline\n" + "x" * 1_000_001)
