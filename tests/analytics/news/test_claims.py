"""Claims: extraction by hand-made sentences, tolerance bands, and verdicts on hand-made prices."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from analytics.news.checks import check_claims
from analytics.news.claims import Claim, claim_band, find_claims
from analytics.news.markets import find_markets
from analytics.news.mentions import find_mentions, find_subjects
from analytics.news.reading import read_article

D = dt.date
ALIASES = {
    "apple": "AAPL",
    "intel": "INTC",
    "nvidia": "NVDA",
    "nasdaq": "NDAQ",
    "s&p global": "SPGI",
}
NAMES = {"AAPL": "Apple Inc.", "INTC": "Intel Corporation", "NVDA": "NVIDIA Corporation"}


def claims_of(*paragraphs: str, day0: dt.date | None = None, headline: str = "h") -> list[Claim]:
    return find_claims(
        read_article(headline, list(paragraphs)),
        subjects=lambda text: find_subjects(text, ALIASES, NAMES),
        day0=day0,
    )


def brief(claim: Claim) -> tuple[object, ...]:
    return (claim.ticker, claim.day, claim.direction, claim.magnitude, claim.unit, claim.qualifier)


# -- market references ---------------------------------------------------------------------------


def test_indexes_are_market_references_never_companies() -> None:
    text = "The S&P 500 fell, the Nasdaq Composite slid and the Dow lost ground; Nasdaq, Inc. rose."
    mentions = find_mentions(text, ALIASES, NAMES)
    assert [(m.name, m.kind, m.ticker) for m in mentions] == [
        ("S&P 500", "index", "SPY"),
        ("Nasdaq Composite", "index", "ONEQ"),
        ("Dow Jones Industrial Average", "index", "DIA"),
        ("Nasdaq", "company", "NDAQ"),
    ]


def test_foreign_indexes_have_no_proxy() -> None:
    assert [(m.name, m.proxy) for m in find_markets("Japan's Nikkei 225 and the FTSE 100")] == [
        ("Nikkei 225", None),
        ("FTSE 100", None),
    ]


def test_mentions_count_a_company_once_whatever_its_name() -> None:
    mentions = find_mentions(["Nvidia fell.", "NVIDIA's rivals, and Nvidia again."], ALIASES, NAMES)
    assert [(m.ticker, m.name, m.count) for m in mentions] == [("NVDA", "NVIDIA Corporation", 3)]


# -- extraction ----------------------------------------------------------------------------------


def test_subject_direction_magnitude_and_day() -> None:
    [claim] = claims_of("Intel's shares plunged 26% on Friday, August 2, 2024.")
    assert brief(claim) == ("INTC", D(2024, 8, 2), "down", 26.0, "percent", "exact")


def test_elliptical_clause_keeps_the_verb() -> None:
    claims = claims_of(
        "On Monday, August 5, 2024 the S&P 500 lost 3.0 percent "
        "and the Nasdaq Composite 3.4 percent."
    )
    assert [brief(c) for c in claims] == [
        ("SPY", D(2024, 8, 5), "down", 3.0, "percent", "exact"),
        ("ONEQ", D(2024, 8, 5), "down", 3.4, "percent", "exact"),
    ]


def test_clause_without_subject_keeps_the_previous_one() -> None:
    claims = claims_of(
        "On Thursday, April 3, 2025, Apple dropped roughly 9 percent.",
        "The selling deepened on Friday; it lost nearly 6 percent more.",
    )
    assert [brief(c) for c in claims] == [
        ("AAPL", D(2025, 4, 3), "down", 9.0, "percent", "about"),
        ("AAPL", D(2025, 4, 4), "down", 6.0, "percent", "nearly"),
    ]


def test_a_group_is_not_measurable() -> None:
    [apple, group] = claims_of(
        "On April 3, 2025, Apple dropped 9 percent, "
        "and apparel retailers posted double-digit losses."
    )
    assert apple.ticker == "AAPL"
    assert (group.kind, group.ticker, group.low, group.high) == ("group", None, 10.0, 100.0)
    assert "retailers" in group.subject


def test_stocks_alone_mean_us_stocks() -> None:
    [claim] = claims_of("US Stocks Shed Trillions", day0=D(2025, 1, 27), headline="x")
    assert claim == claims_of(headline="US Stocks Shed Trillions", day0=D(2025, 1, 27))[0]
    assert brief(claim) == ("VTI", D(2025, 1, 27), "down", 2e12, "usd", "range")
    assert (claim.low, claim.high) == (2e12, math.inf)


def test_headline_claims_speak_of_day_0() -> None:
    [claim] = claims_of(headline="Nvidia Plunges 17%", day0=D(2025, 1, 27))
    assert brief(claim) == ("NVDA", D(2025, 1, 27), "down", 17.0, "percent", "exact")


@pytest.mark.parametrize(
    ("text", "value", "qualifier"),
    [
        ("Intel lost $32.5 billion in market value on August 2, 2024.", 32.5e9, "exact"),
        ("Intel shed more than $30bn on August 2, 2024.", 30e9, "at_least"),
        ("Intel lost 30 billion dollars on August 2, 2024.", 30e9, "exact"),
        ("Nvidia lost about $600 billion in market value on January 27, 2025.", 600e9, "about"),
    ],
)
def test_dollar_amounts(text: str, value: float, qualifier: str) -> None:
    [claim] = claims_of(text)
    assert (claim.unit, claim.magnitude, claim.qualifier, claim.direction) == (
        "usd",
        value,
        qualifier,
        "down",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Intel said it would cut 15% of its workforce on August 1, 2024.",
        "Apple's revenue rose 20% on March 3, 2025.",
        "Tariffs of 34% on Chinese goods rose on April 2, 2025.",
        "Treasury yields fell 0.2 percent on August 5, 2024.",
        "The index is 12% of the market.",  # no direction
    ],
)
def test_amounts_that_are_not_price_moves_are_not_claims(text: str) -> None:
    assert claims_of(text) == []


def test_moves_over_several_days_run_from_day_0() -> None:
    claims = claims_of(
        "On Friday, July 19, 2024, Apple fell 11%.",
        "On Monday it fell another 13.5 percent, and by then it had lost roughly $20 billion.",
        day0=D(2024, 7, 19),
    )
    assert [(c.day, c.since) for c in claims] == [
        (D(2024, 7, 19), None),
        (D(2024, 7, 22), None),
        (D(2024, 7, 22), D(2024, 7, 19)),
    ]


# -- bands ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "band"),
    [
        ((4.8, "percent", "about", 1), (4.08, 5.52)),  # ± max(0.5, 0.72)
        ((2.0, "percent", "about", 0), (1.5, 2.5)),  # ± 0.5 point floor
        ((6.0, "percent", "nearly", 0), (5.1, 6.1)),
        ((1.0, "percent", "at_most", 0), (0.0, 1.1)),
        ((5.0, "percent", "at_least", 0), (4.9, math.inf)),
        ((26.0, "percent", "exact", 0), (24.2, 27.8)),  # ± (1.3 + 0.5)
        ((3.0, "percent", "exact", 1), (2.7, 3.3)),  # ± (0.25 + 0.05)
        ((600e9, "usd", "about", 0), (510e9, 690e9)),
        ((30e9, "usd", "at_least", 0), (29.4e9, math.inf)),
    ],
)
def test_claim_band(args: tuple, band: tuple[float, float]) -> None:
    low, high = claim_band(*args)
    assert low == pytest.approx(band[0]) and high == pytest.approx(band[1])


# -- verdicts ------------------------------------------------------------------------------------

DAYS = pd.to_datetime(["2025-04-02", "2025-04-03", "2025-04-04"])


def claim(magnitude: float, qualifier: str = "exact", *, direction: str = "down", **kw) -> Claim:
    unit = kw.pop("unit", "percent")
    low, high = claim_band(magnitude, unit, qualifier)  # type: ignore[arg-type]
    values = {
        "text": "",
        "subject": "Apple",
        "ticker": "AAPL",
        "kind": "company",
        "day": D(2025, 4, 3),
        "direction": direction,
        "magnitude": magnitude,
        "unit": unit,
        "qualifier": qualifier,
        "low": low,
        "high": high,
    }
    return Claim(**(values | kw))  # type: ignore[arg-type]


CLOSES = pd.DataFrame({"AAPL": [200.0, 182.0, 170.0], "SPY": [500.0, 480.0, 450.0]}, index=DAYS)


@pytest.mark.parametrize(
    ("the_claim", "verdict"),
    [
        (claim(9.0, "about"), "consistent"),  # measured -9%
        (claim(20.0, "about"), "overstated"),
        (claim(3.0, "about"), "understated"),
        (claim(9.0, direction="up"), "overstated"),  # moved the other way
        (claim(5.0, "at_least"), "consistent"),
        (claim(9.0, day=D(2025, 4, 5)), "not checkable"),  # a Saturday
        (claim(9.0, ticker="MSFT"), "not checkable"),  # no prices
        (claim(9.0, ticker=None, kind="group"), "not checkable"),
    ],
)
def test_verdicts(the_claim: Claim, verdict: str) -> None:
    [checked] = check_claims([the_claim], CLOSES)
    assert checked.verdict == verdict, checked.reason


def test_measured_return_and_abnormal_return() -> None:
    abnormal = pd.DataFrame({"AAPL": [np.nan, -0.05, -0.02]}, index=DAYS)
    [checked] = check_claims([claim(9.0)], CLOSES, abnormal=abnormal)
    assert checked.measured_return == pytest.approx(182 / 200 - 1, abs=1e-15)
    assert checked.measured_ar == -0.05
    assert "AAPL on Thu 03 Apr 2025 fell 9.00%" in checked.reason


def test_a_move_over_two_days_is_compounded() -> None:
    abnormal = pd.DataFrame({"AAPL": [np.nan, -0.05, -0.02]}, index=DAYS)
    two_days = claim(15.0, day=D(2025, 4, 4), since=D(2025, 4, 3))
    [checked] = check_claims([two_days], CLOSES, abnormal=abnormal)
    assert checked.measured_return == pytest.approx(170 / 200 - 1, abs=1e-15)
    assert checked.measured_ar == pytest.approx(-0.07)
    assert checked.verdict == "consistent"


def test_dollar_claims_sum_market_values() -> None:
    values = CLOSES * pd.Series({"AAPL": 1e9, "SPY": 2e9})  # shares outstanding
    market = claim(
        60e9, unit="usd", subject="US stocks", ticker="VTI", kind="index", qualifier="about"
    )
    [checked] = check_claims([market], CLOSES, values=values, market_group=["AAPL", "SPY"])
    assert checked.measured_value == pytest.approx((182 - 200) * 1e9 + (480 - 500) * 2e9)
    assert checked.verdict == "consistent"  # -58bn within 60bn ± 15%
    abnormal = pd.DataFrame({"AAPL": [np.nan, -0.05, 0.0]}, index=DAYS)
    apple = claim(18e9, unit="usd")
    [checked] = check_claims([apple], CLOSES, values=values, abnormal=abnormal)
    assert checked.measured_value == pytest.approx(-18e9)
    assert checked.abnormal_value == pytest.approx(-0.05 * 200e9)


# -- pages ---------------------------------------------------------------------------------------


def test_a_page_that_cannot_be_downloaded_is_one_clear_error() -> None:
    from analytics.errors import SourceError
    from analytics.news.fetching import fetch_article

    def down(url: str, limit: int) -> bytes:
        raise SourceError(f"url: cannot download {url} (Name or service not known)")

    with pytest.raises(SourceError, match=r"cannot download https://example\.com/a"):
        fetch_article("https://example.com/a", download=down)
    with pytest.raises(SourceError, match="offline"):
        fetch_article("https://example.com/a", offline=True, download=down)


def test_a_page_without_article_text_is_refused() -> None:
    from analytics.errors import DataError, SpecError
    from analytics.news.fetching import fetch_article

    with pytest.raises(DataError, match="holds no article text"):
        fetch_article("https://example.com/a", download=lambda url, limit: b"<html></html>")
    with pytest.raises(SpecError, match="not an http"):
        fetch_article("ftp://example.com/a")


def test_a_page_is_read_as_its_title_and_text() -> None:
    from analytics.news.fetching import fetch_article

    page = (
        b"<html><head><title>Intel Plunges</title><meta name='date' content='2024-08-03'>"
        b"</head><body><nav>Home | Markets</nav><article><h1>Intel Plunges</h1>"
        b"<p>After the closing bell on Thursday, August 1, Intel reported a loss.</p>"
        b"<p>Intel's shares plunged 26% on Friday, their worst day in fifty years.</p>"
        b"</article><footer>Cookie settings</footer></body></html>"
    )
    article = fetch_article("https://example.com/intel", download=lambda url, limit: page)
    assert article.headline == "Intel Plunges"
    assert "plunged 26% on Friday" in article.body and "Cookie" not in article.body
    assert article.published == D(2024, 8, 3)
